// A loopback TCP proxy for tests that need a hung connection: it forwards until told to stop, keeping sockets open.
import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 in the test process. While `hang()` is in effect, no byte moves in
 * either direction on existing or new connections, yet no socket is closed: to both ends the peer
 * looks alive but silent, as across a stalled network path (no RST, no FIN). Not for concurrent use
 * from several tests.
 */
export interface TcpProxy {
  /** `127.0.0.1:<port>`: give this to the client instead of the target's address. */
  readonly address: string;
  readonly port: number;
  /** Whether forwarding is stopped. */
  readonly hung: boolean;
  /** Stops forwarding (connections stay open); idempotent. */
  hang(): void;
  /** Forwards again, including what was held back; idempotent. */
  resume(): void;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

/** Starts a proxy to `target` (`host:port`) on a free loopback port. */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const colon = target.lastIndexOf(":");
  const host = target.slice(0, colon);
  const port = Number(target.slice(colon + 1));
  const sockets = new Set<Socket>();
  let hung = false;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    if (hung) socket.pause();
  };
  const server: Server = createServer((downstream) => {
    const upstream = connect({ host, port });
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    // After pipe(), which resumes its source: a connection made while hung starts paused.
    track(downstream);
    track(upstream);
    downstream.on("close", () => upstream.destroy());
    upstream.on("close", () => downstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error(`unexpected proxy address ${String(address)}`);
  return {
    address: `127.0.0.1:${address.port}`,
    port: address.port,
    get hung() {
      return hung;
    },
    hang() {
      hung = true;
      for (const socket of sockets) socket.pause();
    },
    resume() {
      hung = false;
      for (const socket of sockets) socket.resume();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
