// Finds free TCP ports on the loopback interface for servers started by tests.
import { createServer, type Server } from "node:net";

/** Returns a TCP port that was free on `host` a moment ago (bound to port 0, read, released). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const [port] = await freePorts(1, host);
  return port!;
}

/**
 * Returns `count` distinct free ports. All are held open together before release, so the kernel
 * cannot hand the same port out twice within one call.
 */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(host));
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error(`unexpected listen address ${String(address)}`);
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

function listen(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => resolve(server));
  });
}
