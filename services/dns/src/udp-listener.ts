// The DNS server's UDP side: one datagram socket, one response datagram per query.
import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import { isIP } from "node:net";
import { ServiceStartError, type Logger } from "@kubeplane/service-kit";
import type { QueryHandler } from "./query-handler.js";

/** A bound listener: its port (useful when 0 was asked for) and how to close it. */
export interface DnsListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Binds UDP `host:port` and answers each datagram through `handler`. Throws ServiceStartError when the bind fails. */
export async function listenUdp(host: string, port: number, handler: QueryHandler, logger: Logger): Promise<DnsListener> {
  // Replies go to rinfo.address, always an IP: once bound, a synchronous lookup spares `send`
  // the dns.lookup round (a next-tick callback per answer). `bind` keeps the asynchronous one
  // (it emits "listening" from the callback).
  let bound = false;
  const socket: Socket = createSocket({
    type: isIP(host) === 6 ? "udp6" : "udp4",
    lookup: (address: string, family: unknown, callback: (err: Error | null, address: string, family: number) => void) => {
      const resolved = isIP(address) || (family === 6 ? 6 : 4);
      if (bound) callback(null, address, resolved);
      else process.nextTick(callback, null, address, resolved);
    },
  });
  let closed = false;
  const reply = (response: Buffer | undefined, address: string, to: number): void => {
    // A forwarded answer may come back after close (send would throw then).
    if (!response || closed) return;
    // No completion callback: a failed send to a client is not actionable, and the callback costs per answer.
    socket.send(response, to, address);
  };
  socket.on("message", (msg, rinfo) => {
    let result: ReturnType<QueryHandler["handle"]>;
    try {
      result = handler.handle(msg, "udp");
    } catch (err) {
      logger.error({ err }, "answering a DNS query failed");
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (response) => reply(response, rinfo.address, rinfo.port),
        (err: unknown) => logger.warn({ err }, "answering a DNS query failed"),
      );
    } else reply(result, rinfo.address, rinfo.port);
  });
  try {
    socket.bind(port, host);
    await Promise.race([once(socket, "listening"), once(socket, "error").then(([err]) => Promise.reject(err as Error))]);
  } catch (err) {
    socket.close();
    throw new ServiceStartError(`dns: cannot listen on udp ${host}:${port}: ${(err as Error).message}`, { cause: err });
  }
  bound = true;
  socket.on("error", (err) => logger.warn({ err }, "DNS UDP socket error"));
  return {
    port: socket.address().port,
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        socket.close(() => resolve());
      }),
  };
}
