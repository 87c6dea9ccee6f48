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
  const socket: Socket = createSocket({ type: isIP(host) === 6 ? "udp6" : "udp4" });
  let closed = false;
  const reply = (response: Buffer | undefined, address: string, to: number): void => {
    // A forwarded answer may come back after close (send would throw then).
    if (!response || closed) return;
    socket.send(response, to, address, (err) => {
      if (err) logger.debug({ err, address, port: to }, "sending a DNS response failed");
    });
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
