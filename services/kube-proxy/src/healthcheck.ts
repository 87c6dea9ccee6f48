// Service health-check node ports (externalTrafficPolicy Local): one HTTP server per port, as upstream's healthcheck server.
import { createServer, type Server } from "node:http";
import type { Logger } from "@kubeplane/service-kit";
import type { ServicePortInfo } from "./service-port.js";

/** What one health-check node port reports. */
export interface ServiceHealth {
  namespace: string;
  name: string;
  /** This node's endpoints of the Service (distinct addresses over its ports). */
  localEndpoints: number;
}

/** The health-check node ports the Services ask for, with their local endpoint counts. */
export function healthCheckPorts(ports: readonly ServicePortInfo[]): Map<number, ServiceHealth> {
  const out = new Map<number, ServiceHealth & { ips: Set<string> }>();
  for (const sp of ports) {
    if (!sp.healthCheckNodePort) continue;
    let entry = out.get(sp.healthCheckNodePort);
    if (!entry) out.set(sp.healthCheckNodePort, (entry = { namespace: sp.namespace, name: sp.name, localEndpoints: 0, ips: new Set() }));
    for (const ep of sp.localEndpoints) entry.ips.add(ep.ip);
    entry.localEndpoints = entry.ips.size;
  }
  return new Map([...out].map(([port, { namespace, name, localEndpoints }]) => [port, { namespace, name, localEndpoints }]));
}

/**
 * Serves each Service's health-check node port on `address`: any GET answers 200 when the node
 * has local endpoints of the Service and 503 otherwise, with upstream's JSON body
 * (`{"service":{"namespace","name"},"localEndpoints":N,"serviceProxyHealthy":true}`), so a cloud
 * load balancer sends traffic only to nodes that serve it. `update` opens and closes listeners to
 * match; a port that cannot be bound is logged and retried at the next update.
 */
export class HealthCheckServers {
  private readonly servers = new Map<number, { server: Server; health: ServiceHealth }>();
  private closed = false;

  constructor(
    private readonly address: string,
    private readonly logger: Logger,
  ) {}

  /** The ports being served (listening or about to). */
  get ports(): number[] {
    return [...this.servers.keys()].sort((a, b) => a - b);
  }

  update(wanted: ReadonlyMap<number, ServiceHealth>): void {
    if (this.closed) return;
    for (const [port, entry] of this.servers) {
      if (wanted.has(port)) continue;
      this.servers.delete(port);
      entry.server.close();
      entry.server.closeAllConnections();
    }
    for (const [port, health] of wanted) {
      const existing = this.servers.get(port);
      if (existing) {
        existing.health = health;
        continue;
      }
      const entry = { server: createServer(), health };
      entry.server.on("request", (req, res) => {
        const h = entry.health;
        const body = JSON.stringify({ service: { namespace: h.namespace, name: h.name }, localEndpoints: h.localEndpoints, serviceProxyHealthy: true });
        res.writeHead(h.localEndpoints > 0 ? 200 : 503, { "Content-Type": "application/json", "X-Content-Type-Options": "nosniff" });
        res.end(req.method === "HEAD" ? undefined : body);
      });
      entry.server.on("error", (err) => {
        this.logger.error({ err, port }, "health-check node port failed; retrying at the next sync");
        if (this.servers.get(port) === entry) this.servers.delete(port);
      });
      entry.server.listen(port, this.address);
      this.servers.set(port, entry);
    }
  }

  /** Closes every listener. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(
      all.map(
        ({ server }) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }
}
