// Header rewriting of the reverse proxy: hop-by-hop headers dropped (RFC 9110 §7.6.1), X-Forwarded-* added.
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from "node:http";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

/** `headers` without hop-by-hop headers, including those the Connection header lists. */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = new Set(
    String(headers.connection ?? "")
      .split(",")
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== ""),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * The headers sent upstream: the client's end-to-end headers (Host kept, as ingress-nginx does)
 * plus X-Forwarded-For (appended to), X-Forwarded-Proto, X-Forwarded-Host, X-Forwarded-Port and
 * X-Real-IP. For an upgrade, Connection and Upgrade are passed on.
 */
export function upstreamRequestHeaders(req: IncomingMessage, proto: "http" | "https"): OutgoingHttpHeaders {
  const headers = endToEndHeaders(req.headers);
  const client = req.socket.remoteAddress ?? "";
  const prior = req.headers["x-forwarded-for"];
  headers["x-forwarded-for"] = prior ? `${String(prior)}, ${client}` : client;
  headers["x-forwarded-proto"] = proto;
  headers["x-forwarded-host"] = req.headers.host ?? "";
  headers["x-forwarded-port"] = String(req.socket.localPort ?? "");
  headers["x-real-ip"] = client;
  if (req.headers.upgrade) {
    headers.connection = "upgrade";
    headers.upgrade = req.headers.upgrade;
  }
  return headers;
}
