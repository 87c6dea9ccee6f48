// Who may do what on NATS: the nats-server `authorization` block that maps client certificates to users with permissions.
import { GAP_SUBJECT, KP_WATCH, nodeFilter } from "./subjects.js";

/**
 * A NATS user, matched by its client certificate (nats-server's `verify_and_map`: the subject DN
 * in RFC 2253 order, e.g. `CN=system:node:node-1,O=system:nodes`).
 * - `publisher`: the apiserver; publishes watch events and manages the stream (no limits).
 * - `reader`: reads every watch subject through JetStream consumers (controllers, scheduler, ...).
 * - `node`: a kubelet; creates consumers only on its own node's pods subject (and the gap marker).
 * Every user may also subscribe to the gap marker (core NATS): a filtered consumer on nats-server
 * 2.9 cannot see it through JetStream, and it carries no object.
 */
export type NatsRole = { kind: "publisher" } | { kind: "reader" } | { kind: "node"; node: string };

export interface NatsIdentity {
  /** The certificate's common name (the Kubernetes user name). */
  commonName: string;
  /** The certificate's organizations (Kubernetes groups), in certificate order. */
  organizations?: string[];
  role: NatsRole;
}

/** The user string nats-server's verify_and_map compares with a certificate: its subject DN, most specific first. */
export function certificateUser(commonName: string, organizations: readonly string[] = []): string {
  const escape = (v: string): string => v.replace(/([,+"\\<>;=])/g, "\\$1");
  return [`CN=${escape(commonName)}`, ...[...organizations].reverse().map((o) => `O=${escape(o)}`)].join(",");
}

/**
 * The inbox prefix of an identity. Replies and consumer deliveries go to inboxes; each user may
 * subscribe only under its own prefix, so no client can read another's deliveries.
 */
export function inboxPrefix(commonName: string): string {
  return `_INBOX.${commonName.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/**
 * The JetStream API calls a consumer-only client makes: stream and consumer info, consumer create
 * (as given), pulls, flow control, and the direct get of the last gap marker. Not
 * `STREAM.MSG.GET`, which would read any message of the stream by sequence.
 */
function readerApi(consumerCreate: string[]): string[] {
  return [
    "$JS.API.INFO",
    `$JS.API.STREAM.INFO.${KP_WATCH}`,
    `$JS.API.DIRECT.GET.${KP_WATCH}.${GAP_SUBJECT}`,
    ...consumerCreate,
    `$JS.API.CONSUMER.INFO.${KP_WATCH}.>`,
    `$JS.API.CONSUMER.MSG.NEXT.${KP_WATCH}.>`,
    `$JS.API.CONSUMER.DELETE.${KP_WATCH}.>`,
    "$JS.FC.>",
  ];
}

/** The permissions of one identity, in nats-server's configuration shape (undefined: everything). */
export function natsPermissions(identity: NatsIdentity): { publish: { allow: string[] }; subscribe: { allow: string[] } } | undefined {
  const inbox = `${inboxPrefix(identity.commonName)}.>`;
  switch (identity.role.kind) {
    case "publisher":
      return undefined;
    case "reader":
      return {
        publish: { allow: readerApi([`$JS.API.CONSUMER.CREATE.${KP_WATCH}`, `$JS.API.CONSUMER.CREATE.${KP_WATCH}.>`]) },
        subscribe: { allow: [inbox, GAP_SUBJECT] },
      };
    case "node":
      return {
        publish: {
          allow: readerApi([
            `$JS.API.CONSUMER.CREATE.${KP_WATCH}.*.${nodeFilter(identity.role.node)}`,
            `$JS.API.CONSUMER.CREATE.${KP_WATCH}.*.${GAP_SUBJECT}`,
          ]),
        },
        subscribe: { allow: [inbox, GAP_SUBJECT] },
      };
  }
}

function quote(value: string): string {
  return JSON.stringify(value);
}

/**
 * The `authorization { users = [...] }` block for nats-server's config file. The server's `tls`
 * block must set `verify_and_map: true` so certificates select these users; a client whose
 * certificate maps to no user is refused.
 */
export function renderNatsAuthorization(identities: readonly NatsIdentity[]): string {
  const users = identities.map((identity) => {
    const user = certificateUser(identity.commonName, identity.organizations);
    const permissions = natsPermissions(identity);
    if (!permissions) return `    { user: ${quote(user)} }`;
    const list = (subjects: string[]): string => `[${subjects.map(quote).join(", ")}]`;
    return `    { user: ${quote(user)}, permissions: { publish: { allow: ${list(permissions.publish.allow)} }, subscribe: { allow: ${list(permissions.subscribe.allow)} } } }`;
  });
  return `authorization {\n  users = [\n${users.join("\n")}\n  ]\n}\n`;
}
