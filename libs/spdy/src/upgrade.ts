// The client side of the HTTP upgrade to SPDY/3.1 (Kubernetes' X-Stream-Protocol-Version negotiation), as a CRI streaming server expects it.
import { once } from "node:events";
import { request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { SpdyConnection, StreamingError } from "./connection.js";

/** The Upgrade header's value for SPDY/3.1. */
export const SPDY_UPGRADE = "SPDY/3.1";
/** The header that offers (request) and names (response) the streaming protocol. */
export const STREAM_PROTOCOL_HEADER = "X-Stream-Protocol-Version";

/**
 * Upgrades `url` (http only: containerd's streaming server listens on loopback without TLS by
 * default) to SPDY/3.1 offering `protocols`; resolves with a client connection and the protocol the
 * server chose. Rejects with StreamingError on a refusal (its HTTP status and body).
 */
export async function connectSpdy(url: string, protocols: readonly string[], signal?: AbortSignal): Promise<{ connection: SpdyConnection; protocol: string }> {
  const target = new URL(url);
  if (target.protocol !== "http:") throw new StreamingError(`streaming URL ${url}: only http is supported`);
  const req: ClientRequest = httpRequest(target, {
    method: "POST",
    signal,
    headers: { Connection: "Upgrade", Upgrade: SPDY_UPGRADE, [STREAM_PROTOCOL_HEADER]: [...protocols], "Content-Length": "0" },
  });
  req.end();
  const refused = once(req, "response").then(async (args) => {
    const res = args[0] as IncomingMessage;
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    throw new StreamingError(`the streaming server refused the upgrade (HTTP ${res.statusCode}): ${Buffer.concat(chunks).toString("utf8").trim()}`, res.statusCode);
  });
  const [res, socket, head] = (await Promise.race([once(req, "upgrade"), refused])) as [IncomingMessage, Socket, Buffer];
  refused.catch(() => undefined);
  const chosen = String(res.headers[STREAM_PROTOCOL_HEADER.toLowerCase()] ?? "");
  if (!protocols.includes(chosen)) {
    socket.destroy();
    throw new StreamingError(`the streaming server chose protocol "${chosen}", none of ${protocols.join(", ")}`);
  }
  return { connection: new SpdyConnection(socket, { role: "client", head }), protocol: chosen };
}

/** The protocols a request offers in X-Stream-Protocol-Version (repeated headers or comma-separated values). */
export function offeredStreamProtocols(value: string | string[] | undefined): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.flatMap((v) => v.split(",")).map((p) => p.trim()).filter(Boolean);
}
