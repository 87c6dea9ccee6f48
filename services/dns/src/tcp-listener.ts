// The DNS server's TCP side: 2-octet length framing, many queries per connection, idle timeout.
import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { ServiceStartError, type Logger } from "@kubeplane/service-kit";
import type { QueryHandler } from "./query-handler.js";
import type { DnsListener } from "./udp-listener.js";

function frame(response: Buffer): Buffer {
  const out = Buffer.allocUnsafe(response.length + 2);
  out.writeUInt16BE(response.length, 0);
  response.copy(out, 2);
  return out;
}

/** Reads length-prefixed queries from one connection and writes each response as it is ready (RFC 7766 allows any order). */
function serveConnection(socket: Socket, handler: QueryHandler, idleTimeoutMs: number, logger: Logger): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.setNoDelay(true);
  socket.setTimeout(idleTimeoutMs, () => socket.destroy());
  socket.on("error", (err) => logger.debug({ err }, "DNS TCP connection error"));
  const send = (response: Buffer | undefined): void => {
    if (response && !socket.destroyed) socket.write(frame(response));
  };
  socket.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const length = pending.readUInt16BE(0);
      if (pending.length < 2 + length) break;
      const message = pending.subarray(2, 2 + length);
      pending = pending.subarray(2 + length);
      let result: ReturnType<QueryHandler["handle"]>;
      try {
        result = handler.handle(message, "tcp");
      } catch (err) {
        logger.error({ err }, "answering a DNS query failed");
        socket.destroy();
        return;
      }
      if (result instanceof Promise) {
        result.then(send, (err: unknown) => logger.warn({ err }, "answering a DNS query failed"));
      } else if (result) send(result);
      else socket.destroy(); // Not DNS: RFC 7766 lets the server close.
    }
  });
}

/** Binds TCP `host:port` for DNS. Throws ServiceStartError when the bind fails; `close` also ends open connections. */
export async function listenTcp(host: string, port: number, handler: QueryHandler, idleTimeoutMs: number, logger: Logger): Promise<DnsListener> {
  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
    serveConnection(socket, handler, idleTimeoutMs, logger);
  });
  try {
    server.listen(port, host);
    await Promise.race([once(server, "listening"), once(server, "error").then(([err]) => Promise.reject(err as Error))]);
  } catch (err) {
    server.close();
    throw new ServiceStartError(`dns: cannot listen on tcp ${host}:${port}: ${(err as Error).message}`, { cause: err });
  }
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of connections) socket.destroy();
      await closed;
    },
  };
}
