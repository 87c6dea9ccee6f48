// CreateEvents: many core/v1 Event creates in one request (the event broadcaster), each authorized, admitted, validated and stored on its own.
import { apiErrors, kindFor, metaV1, type apiserverV1, type coreV1Event, type KindInfo } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { requestUser } from "./authn/index.js";
import { forbiddenError, resourceAttributes, type Authorizer } from "./authz/index.js";
import { decodeRequestObject } from "./object-codec.js";
import type { Registry } from "./registry.js";
import type { RequestContext } from "./request-context.js";
import { toApiError } from "./status-mapping.js";

/** etcd's default --max-txn-ops: a batch fits one group-committed txn. */
export const MAX_EVENTS_PER_CALL = 128;

const events = kindFor("v1", "Event") as KindInfo<coreV1Event.Event>;

export interface CreateEventsDeps {
  registry: Registry;
  /** Asked once per event (create events in its namespace); absent: the call's own authorization is the only check. */
  authorizer?: Authorizer | undefined;
  logger: Logger;
}

const SUCCESS: metaV1.Status = metaV1.Status.fromPartial({ apiVersion: "v1", kind: "Status", status: "Success", code: 201 });

/**
 * Serves CreateEvents. The call itself was authorized for `create events` in its namespace (every
 * namespace when it names none); each event is then authorized in its own namespace, decoded and
 * created exactly as a single Create call (admission, defaulting, validation, storage), all of them
 * concurrently so the store's group commit writes them in one txn. An event that fails gets its
 * Status in the reply and never fails its neighbours; the call as a whole fails only when it is
 * malformed (over MAX_EVENTS_PER_CALL).
 */
export async function createEvents(deps: CreateEventsDeps, req: apiserverV1.CreateEventsRequest, call: object, ctx: RequestContext): Promise<apiserverV1.CreateEventsReply> {
  if (req.events.length > MAX_EVENTS_PER_CALL) {
    throw apiErrors.invalid({ resource: "events", kind: "Event", name: "" }, [
      { type: "FieldValueTooMany", field: "events", value: req.events.length, detail: `must have at most ${MAX_EVENTS_PER_CALL} items` },
    ]);
  }
  const user = requestUser(call);
  const results = await Promise.all(
    req.events.map(async (raw): Promise<apiserverV1.CreateEventsResult> => {
      try {
        const event = decodeRequestObject(events, raw);
        if (deps.authorizer) {
          const attrs = resourceAttributes(user, {
            verb: "create",
            resource: "events",
            namespace: req.namespace || event.metadata?.namespace || "",
            name: "",
          });
          const verdict = await deps.authorizer.authorize(attrs);
          if (verdict.decision !== "allow") throw forbiddenError(attrs, verdict.reason);
        }
        await deps.registry.create(events, req.namespace, event, ctx);
        return { status: SUCCESS };
      } catch (err) {
        return { status: toApiError(err, deps.logger).status };
      }
    }),
  );
  return { results };
}
