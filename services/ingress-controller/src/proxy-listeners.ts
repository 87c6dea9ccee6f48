// The proxy's HTTP and HTTPS servers: bound on their configured addresses, closed on stop.
import { once } from "node:events";
import { createServer as createTcpServer } from "node:net";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { ServiceStartError } from "@kubeplane/service-kit";
import type { CertificateStore } from "./certificate-store.js";
import type { ReverseProxy } from "./reverse-proxy.js";

/** Idle keep-alive connections from clients are closed after this long (ingress-nginx: 75 s). */
const CLIENT_KEEP_ALIVE_MS = 75_000;

/** A bound proxy listener. */
export interface ProxyListener {
  readonly port: number;
  /** Stops accepting, closes idle connections, waits for in-flight ones (up to `graceMs`, then forces). */
  close(graceMs: number): Promise<void>;
}

function splitIpPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(address.slice(i + 1)) };
}

async function bind(server: Server, address: string): Promise<ProxyListener> {
  const { host, port } = splitIpPort(address);
  server.keepAliveTimeout = CLIENT_KEEP_ALIVE_MS;
  server.listen(port, host);
  try {
    await Promise.race([once(server, "listening"), once(server, "error").then(([err]) => Promise.reject(err as Error))]);
  } catch (err) {
    throw new ServiceStartError(`ingress-controller: cannot listen on ${address}: ${(err as Error).message}`, { cause: err });
  }
  return {
    port: (server.address() as AddressInfo).port,
    close: async (graceMs) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}

/** Binds the plain-HTTP listener. Throws ServiceStartError when the address is unusable. */
export function listenHttp(address: string, proxy: ReverseProxy): Promise<ProxyListener> {
  const server = createHttpServer((req, res) => proxy.handleRequest(req, res, "http"));
  server.on("upgrade", (req, socket, head: Buffer) => proxy.handleUpgrade(req, socket, head, "http"));
  return bind(server, address);
}

/** Binds the HTTPS listener, choosing each connection's certificate by SNI from `certificates`. */
export function listenHttps(address: string, proxy: ReverseProxy, certificates: CertificateStore): Promise<ProxyListener> {
  const server = createHttpsServer({ ...certificates.fallbackPem, SNICallback: (name, cb) => cb(null, certificates.contextFor(name)) }, (req, res) => proxy.handleRequest(req, res, "https"));
  server.on("upgrade", (req, socket, head: Buffer) => proxy.handleUpgrade(req, socket, head, "https"));
  return bind(server, address);
}

/**
 * `address` with a concrete port: port 0 is replaced by a port the kernel has free now (for a
 * listener another process binds, such as nginx; it may be taken in between, which nginx reports).
 */
export async function resolveListenAddress(address: string): Promise<{ address: string; port: number }> {
  const { host, port } = splitIpPort(address);
  if (port !== 0) return { address, port };
  const probe = createTcpServer();
  probe.listen(0, host);
  await Promise.race([once(probe, "listening"), once(probe, "error").then(([err]) => Promise.reject(err as Error))]);
  const free = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return { address: `${address.slice(0, address.lastIndexOf(":"))}:${free}`, port: free };
}
