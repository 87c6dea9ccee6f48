// The served configuration kept current from the informers: routing table, certificates, endpoint lookups.
import type { coreV1Config, coreV1Service, discoveryV1, networkingV1 } from "@kubeplane/api";
import type { Informer } from "@kubeplane/client";
import { readyUpstreams, upstreamKey, type Upstream } from "./backend-endpoints.js";
import type { CertificateStore } from "./certificate-store.js";
import { servesIngress, type ClassSelection } from "./ingress-class.js";
import type { IngressMetrics } from "./metrics.js";
import type { Router } from "./reverse-proxy.js";
import { RoutingTable, type BackendRef, type Route, type RouteGroups } from "./routing-table.js";
import type { UpstreamAgents } from "./upstream-agents.js";

/** The EndpointSlice label naming its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
/** The slice informer's index of `namespace/service`. */
export const BY_SERVICE_INDEX = "service";

/** The slice index function: a slice's `namespace/<service-name label>`. */
export function sliceServiceKey(slice: discoveryV1.EndpointSlice): string[] {
  const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return service ? [`${slice.metadata?.namespace ?? ""}/${service}`] : [];
}

/** The informers the state reads. The slice informer must carry the BY_SERVICE_INDEX index. */
export interface IngressInformers {
  ingresses: Informer<networkingV1.Ingress>;
  services: Informer<coreV1Service.Service>;
  slices: Informer<discoveryV1.EndpointSlice>;
  secrets: Informer<coreV1Config.Secret>;
}

/**
 * Implements the proxy's Router over the informer caches. Ingress changes (and changes of a
 * referenced Secret) rebuild the routing table and certificates; events arriving in the same
 * tick are coalesced into one rebuild. Endpoints are read from the caches on each request, so
 * an EndpointSlice change applies to the next request without a rebuild.
 */
export class IngressState implements Router {
  private table = new RoutingTable([]);
  private pending = false;
  private prunePending = false;
  private readonly listeners: Array<() => void> = [];

  constructor(
    private readonly informers: IngressInformers,
    private readonly selection: ClassSelection,
    private readonly certificates: CertificateStore,
    private readonly agents: UpstreamAgents,
    private readonly metrics: IngressMetrics,
  ) {
    const resync = { onAdd: () => this.schedule(), onUpdate: () => this.schedule(), onDelete: () => this.schedule() };
    informers.ingresses.addEventHandler(resync);
    const ifReferenced = (s: coreV1Config.Secret): void => {
      if (this.certificates.references(s.metadata?.namespace ?? "", s.metadata?.name ?? "")) this.schedule();
    };
    informers.secrets.addEventHandler({ onAdd: ifReferenced, onUpdate: (_o, s) => ifReferenced(s), onDelete: ifReferenced });
    informers.slices.addEventHandler({ onDelete: () => this.schedulePrune(), onUpdate: () => this.schedulePrune() });
  }

  /** The Ingresses of this controller's class, from the cache. */
  served(): networkingV1.Ingress[] {
    return this.informers.ingresses.lister.list().filter((ing) => servesIngress(ing, this.selection));
  }

  /** Calls `listener` after every rebuild (another data plane re-renders from `routes`). */
  onSync(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** The current table's rules by host group. */
  routes(): RouteGroups {
    return this.table.groups();
  }

  match(host: string, path: string): Route | undefined {
    return this.table.match(host, path);
  }

  upstreams(backend: BackendRef): Upstream[] {
    const service = this.informers.services.lister.get(backend.namespace, backend.service);
    const slices = this.informers.slices.lister.byIndex(BY_SERVICE_INDEX, `${backend.namespace}/${backend.service}`);
    return readyUpstreams(service, slices, backend.port);
  }

  /** Rebuilds now (also what the coalesced schedule runs). */
  sync(): void {
    this.pending = false;
    const started = performance.now();
    const served = this.served();
    this.table = new RoutingTable(served);
    this.certificates.rebuild(served, (ns, name) => this.informers.secrets.lister.get(ns, name));
    const { metrics } = this;
    metrics.syncs.inc();
    metrics.syncDuration.observe((performance.now() - started) / 1000);
    metrics.lastSync.set(Date.now() / 1000);
    metrics.ingresses.set(served.length);
    metrics.routes.set(this.table.ruleCount);
    metrics.certificates.set(this.certificates.hostCount);
    for (const listener of this.listeners) listener();
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => this.sync());
  }

  private schedulePrune(): void {
    if (this.prunePending) return;
    this.prunePending = true;
    queueMicrotask(() => this.pruneAgents());
  }

  /** Drops pooled connections to addresses no EndpointSlice lists any more. */
  private pruneAgents(): void {
    this.prunePending = false;
    const live = new Set<string>();
    for (const slice of this.informers.slices.lister.list()) {
      for (const port of slice.ports) {
        for (const ep of slice.endpoints) for (const ip of ep.addresses) if (port.port) live.add(upstreamKey({ ip, port: port.port }));
      }
    }
    this.agents.retain(live);
  }
}
