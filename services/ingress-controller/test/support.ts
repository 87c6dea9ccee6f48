// Helpers of the ingress controller's integration tests: named HTTP backends on loopback and a client that sets Host and SNI.
import { once } from "node:events";
import { createServer, request as httpRequest, type Agent as HttpAgent, type IncomingHttpHeaders, type IncomingMessage, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";

/** What a backend saw of a request, as it answers it (JSON). */
export interface Echo {
  name: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/** A backend on 127.0.0.1 answering every GET with its name and the request it saw, echoing POST bodies, and accepting `Upgrade: echo`. */
export interface Backend {
  name: string;
  port: number;
  requests(): number;
  close(): Promise<void>;
}

/** Starts a named backend on 127.0.0.1 on a free port. */
export async function startBackend(name: string): Promise<Backend> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    if (req.method === "POST") {
      res.writeHead(200, { "content-type": "application/octet-stream", "x-backend": name });
      req.pipe(res);
      return;
    }
    const echo: Echo = { name, path: req.url ?? "", headers: req.headers };
    res.writeHead(200, { "content-type": "application/json", "x-backend": name, connection: "keep-alive", "keep-alive": "timeout=5" });
    res.end(JSON.stringify(echo));
  });
  server.on("upgrade", (req, socket) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\nX-Backend: ${name}\r\n\r\n`);
    socket.pipe(socket);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    name,
    port: (server.address() as AddressInfo).port,
    requests: () => count,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** One answer through the proxy: status, headers, body, and for HTTPS the certificate's subject CN. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  certificateCn?: string;
}

/** Sockets that already carried a request: a request on one of them is on a reused connection. */
const usedSockets = new WeakSet<object>();

/**
 * A request to the proxy on 127.0.0.1:`port` with `Host: host` (HTTPS with SNI `host` when `tls`).
 * No connection reuse unless an `agent` is given; then a request whose kept-alive connection the
 * server had closed before answering is sent once more on a new one, as RFC 9112 §9.3.1 lets a
 * client do for idempotent requests (browsers do; Node's Agent leaves it to the caller). Reuse is
 * tracked here: Node's Agent sets `req.reusedSocket` only for a socket taken from its free pool,
 * not for one handed straight to a request queued behind `maxSockets`.
 */
export async function send(port: number, host: string, opts: { path?: string; tls?: boolean; method?: string; body?: Buffer; agent?: HttpAgent } = {}): Promise<Answer> {
  const options = { host: "127.0.0.1", port, path: opts.path ?? "/", method: opts.method ?? "GET", headers: { host }, agent: opts.agent ?? (false as const) };
  const req = opts.tls ? httpsRequest({ ...options, servername: host, rejectUnauthorized: false }) : httpRequest(options);
  let reused = false;
  req.once("socket", (socket) => {
    reused = usedSockets.has(socket);
    usedSockets.add(socket);
  });
  req.end(opts.body);
  let res: IncomingMessage;
  try {
    [res] = (await once(req, "response")) as [IncomingMessage];
  } catch (err) {
    const idempotent = options.method === "GET" || options.method === "HEAD";
    if ((req.reusedSocket || reused) && idempotent && (err as { code?: string }).code === "ECONNRESET") return send(port, host, opts);
    throw err;
  }
  const certificateCn = opts.tls ? String((res.socket as TLSSocket).getPeerCertificate().subject?.CN ?? "") : undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), ...(certificateCn === undefined ? {} : { certificateCn }) };
}

/** The backend name of a proxied GET's JSON answer. */
export function echoOf(answer: Answer): Echo {
  return JSON.parse(answer.body) as Echo;
}
