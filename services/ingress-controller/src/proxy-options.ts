// What the reverse proxy works with (router, agents, metrics) and a request's routing decision; shared by the HTTP and upgrade paths.
import type { Logger } from "@kubeplane/service-kit";
import type { Upstream } from "./backend-endpoints.js";
import type { IngressMetrics } from "./metrics.js";
import type { BackendRef, Route } from "./routing-table.js";
import type { UpstreamAgents } from "./upstream-agents.js";

/** Where the proxy looks up routes and endpoints; reads the current snapshot on every call. */
export interface Router {
  match(host: string, path: string): Route | undefined;
  upstreams(backend: BackendRef): Upstream[];
}

/** What a ReverseProxy is built with; the proxy only reads these, from any number of concurrent requests. */
export interface ReverseProxyOptions {
  router: Router;
  agents: UpstreamAgents;
  metrics: IngressMetrics;
  logger: Logger;
  connectTimeoutMs: number;
}

/** A request's routing decision: the endpoints to try in order, or the status to answer with. */
export type Resolution = { route: Route; order: Upstream[] } | { route: Route | undefined; status: 404 | 503 };
