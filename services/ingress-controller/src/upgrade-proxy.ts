// Upgrade (WebSocket) passthrough: relays the handshake, then splices the client and endpoint sockets.
import { request as httpRequest, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { upstreamRequestHeaders } from "./proxy-headers.js";
import type { Resolution, ReverseProxyOptions } from "./proxy-options.js";
import { dispatch } from "./upstream-dispatch.js";

const REASONS: Record<number, string> = { 404: "Not Found", 502: "Bad Gateway", 503: "Service Unavailable" };

/** Writes a bodyless raw HTTP/1.1 answer and closes the client socket. */
function refuse(socket: Duplex, status: number): void {
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** The raw status line and headers of an upstream answer, minus `drop`, plus `extra` lines. */
function rawHead(res: IncomingMessage, drop: RegExp | undefined, extra: string[] = []): string {
  const lines = [`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ""}`];
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    if (!drop?.test(res.rawHeaders[i]!)) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  }
  return `${[...lines, ...extra].join("\r\n")}\r\n\r\n`;
}

/**
 * Proxies one Upgrade request: the endpoint's 101 answer is relayed and the two sockets are then
 * piped both ways until either closes; any other answer is relayed with its body and the client
 * connection closed. Calls `done(status)` once, when the answer status is known.
 */
export function proxyUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  proto: "http" | "https",
  resolution: Resolution,
  opts: Pick<ReverseProxyOptions, "connectTimeoutMs">,
  done: (status: number) => void,
): void {
  socket.on("error", () => socket.destroy());
  if ("status" in resolution) {
    done(resolution.status);
    return refuse(socket, resolution.status);
  }
  const headers = upstreamRequestHeaders(req, proto);
  dispatch(
    resolution.order,
    // No pooled agent: an upgraded connection is never returned to a pool.
    (u) => {
      const upstreamReq = httpRequest({ host: u.ip, port: u.port, method: req.method, path: req.url, headers, agent: false });
      upstreamReq.once("upgrade", (res: IncomingMessage, upstream: Duplex, upstreamHead: Buffer) => {
        done(res.statusCode ?? 101);
        upstream.on("error", () => socket.destroy());
        socket.on("close", () => upstream.destroy());
        upstream.on("close", () => socket.destroy());
        socket.write(rawHead(res, undefined));
        if (upstreamHead.length) socket.write(upstreamHead);
        if (head.length) upstream.write(head);
        upstream.pipe(socket).pipe(upstream);
      });
      upstreamReq.once("response", (res: IncomingMessage) => {
        done(res.statusCode ?? 502);
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.once("end", () => {
          const body = Buffer.concat(chunks);
          const headLines = rawHead(res, /^(content-length|transfer-encoding|connection|keep-alive)$/i, ["Connection: close", `Content-Length: ${body.length}`]);
          socket.end(Buffer.concat([Buffer.from(headLines), body]));
        });
      });
      return upstreamReq;
    },
    opts.connectTimeoutMs,
    {
      connected: (upstreamReq) => upstreamReq.end(),
      connectFailed: () => undefined,
      failed: (_err, connected) => {
        if (!connected) {
          done(502);
          refuse(socket, 502);
        } else socket.destroy();
      },
    },
  );
}
