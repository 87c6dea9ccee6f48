// How a component connects to NATS: the servers, and mutual TLS with its client certificate.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "nats";
import { inboxPrefix } from "./nats-permissions.js";

/** How often a client pings its server, and how many unanswered pings end the connection (so a silent one ends within ~30 s). */
export const NATS_PING_INTERVAL_MS = 10_000;
export const NATS_MAX_PINGS_OUT = 2;

/** PEM files for NATS over TLS: the CA that signed the servers' certificates, and this client's certificate. */
export interface NatsTlsFiles {
  caFile?: string | undefined;
  clientCertFile?: string | undefined;
  clientKeyFile?: string | undefined;
}

/**
 * nats.js options for `url` (one URL or several, comma-separated): TLS presenting the client
 * certificate whenever a CA is given (NATS maps the certificate to a user with its permissions),
 * replies and deliveries under the identity's own inbox prefix (the only one its NATS user may
 * subscribe to), and endless reconnects, since every component outlives NATS restarts and
 * reloads that take its user away for a while. A connection that goes silent (a partition, a
 * machine gone without a FIN) is given up after two unanswered pings 10 s apart, not nats.js's
 * default 2 min, and the client reconnects (to another server of a cluster, or this one later).
 */
export function natsConnectionOptions(url: string, tls: NatsTlsFiles, name: string): ConnectionOptions {
  const servers = url.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const secure = tls.caFile
    ? {
        tls: {
          caFile: tls.caFile,
          ...(tls.clientCertFile ? { certFile: tls.clientCertFile } : {}),
          ...(tls.clientKeyFile ? { keyFile: tls.clientKeyFile } : {}),
        },
      }
    : {};
  const inbox = tls.clientCertFile ? { inboxPrefix: inboxPrefix(certificateCommonName(tls.clientCertFile)) } : {};
  // ignoreAuthErrorAbort: nats.js would stop reconnecting after two authorization errors in a row;
  // a node whose user is removed (its Node deleted) and granted again must come back by itself.
  return { servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 500, ignoreAuthErrorAbort: true, pingInterval: NATS_PING_INTERVAL_MS, maxPingOut: NATS_MAX_PINGS_OUT, ...secure, ...inbox };
}

/** The CN of a PEM certificate file. */
function certificateCommonName(file: string): string {
  const subject = new X509Certificate(readFileSync(file)).subject;
  const cn = /^CN=(.*)$/m.exec(subject)?.[1];
  if (!cn) throw new Error(`${file}: the certificate has no common name`);
  return cn;
}
