// The service controller: Services of type LoadBalancer get an ingress from the provider, released on delete or type change.
import { isDeepStrictEqual } from "node:util";
import { coreV1Service, kindFor, type KindInfo, type coreV1Node, type metaV1 } from "@kubeplane/api";
import { objectKey, type Lister } from "@kubeplane/client";
import type { Controller, Reconciler, Request, Result } from "@kubeplane/controller";
import { wantsLoadBalancer } from "../provider/bare-metal/load-balancer.js";
import { LoadBalancerUnavailableError, type LoadBalancer } from "../provider/interface.js";
import { nodeKind } from "./cloud-node.js";
import type { ControllerContext } from "./context.js";

type Service = coreV1Service.Service;
type Node = coreV1Node.Node;

export const serviceKind = kindFor("v1", "Service") as KindInfo<Service>;
/** The Service condition telling whether its load balancer is provided, and if not why. */
export const LB_CONDITION = "LoadBalancerReady";

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Reconciles one Service (key namespace/name). Runs on ONE worker (the LoadBalancer contract):
 * allocation decisions and their status writes are serialised, so an address is never given
 * twice. On its first call it restores the provider's state from every Service in the cache
 * (caches are synced before any reconcile). Services that could not get a load balancer wait in
 * `pending` and are requeued, oldest first, whenever an address is released.
 */
export class ServiceReconciler implements Reconciler {
  private restored = false;
  private readonly pending = new Set<string>();
  /** The last Warning recorded per Service (uid + reason), so a retry does not repeat it. */
  private readonly warned = new Map<string, string>();
  controller: Controller | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly lb: LoadBalancer,
    private readonly services: Lister<Service>,
    private readonly nodes: Lister<Node>,
  ) {}

  async reconcile({ namespace, name }: Request, signal: AbortSignal): Promise<Result> {
    if (!this.restored) {
      this.lb.restore(this.services.list());
      this.restored = true;
    }
    const key = `${namespace}/${name}`;
    const svc = this.services.get(namespace, name);
    try {
      if (!wantsLoadBalancer(svc)) {
        await this.release(key, svc, signal);
        return {};
      }
      return await this.ensure(key, svc!, signal);
    } finally {
      this.reportUsage();
    }
  }

  private async ensure(key: string, svc: Service, signal: AbortSignal): Promise<Result> {
    let ingress: coreV1Service.LoadBalancerIngress[];
    try {
      ingress = await this.lb.ensureLoadBalancer(svc, this.nodes.list());
    } catch (err) {
      if (!(err instanceof LoadBalancerUnavailableError)) {
        this.ctx.metrics.loadBalancerSync.inc({ result: "error" });
        throw err;
      }
      this.pending.add(key);
      this.ctx.metrics.loadBalancerSync.inc({ result: "pending" });
      await this.writeStatus(svc, [], { status: "False", reason: err.code, message: err.message }, signal);
      const mark = `${svc.metadata?.uid}/${err.code}`;
      if (this.warned.get(key) !== mark) {
        this.warned.set(key, mark);
        this.ctx.logger.warn({ controller: "service", kind: "Service", namespace: svc.metadata?.namespace, name: svc.metadata?.name, reason: err.code }, err.message);
        this.ctx.events.record(serviceKind, svc, "Warning", "AllocationFailed", err.message, "EnsuringLoadBalancer");
      }
      // Not an error: retrying cannot help until an address is released, which requeues it.
      return {};
    }
    this.pending.delete(key);
    this.warned.delete(key);
    const changed = await this.writeStatus(svc, ingress, { status: "True", reason: "Allocated", message: `load balancer at ${ingress.map((i) => i.ip || i.hostname).join(", ")}` }, signal);
    this.ctx.metrics.loadBalancerSync.inc({ result: "success" });
    if (changed) this.ctx.events.record(serviceKind, svc, "Normal", "EnsuredLoadBalancer", `Ensured load balancer at ${ingress.map((i) => i.ip || i.hostname).join(", ")}`);
    return {};
  }

  private async release(key: string, svc: Service | undefined, signal: AbortSignal): Promise<void> {
    this.pending.delete(key);
    this.warned.delete(key);
    const released = await this.lb.ensureLoadBalancerDeleted(key);
    // A Service that is no longer of type LoadBalancer loses its ingress; other Services' status is not ours.
    if (svc && svc.spec?.type !== "LoadBalancer" && (svc.status?.loadBalancer?.ingress.length ?? 0) > 0) {
      const updated = coreV1Service.Service.fromPartial(svc);
      updated.status = coreV1Service.ServiceStatus.fromPartial({ ...svc.status, loadBalancer: { ingress: [] }, conditions: (svc.status?.conditions ?? []).filter((c) => c.type !== LB_CONDITION) });
      await this.ctx.client.updateStatus(serviceKind, updated, { signal });
    }
    if (released) {
      this.ctx.logger.info({ controller: "service", key }, "load balancer released");
      this.requeuePending();
    }
  }

  /** Requeues the waiting Services, oldest first, so the first in line gets a freed address. */
  private requeuePending(): void {
    const waiting = [...this.pending]
      .map((k) => this.services.getByKey(k))
      .filter((s): s is Service => s !== undefined)
      .sort((a, b) => (a.metadata?.creationTimestamp ?? "").localeCompare(b.metadata?.creationTimestamp ?? "") || objectKey(a).localeCompare(objectKey(b)));
    for (const s of waiting) this.controller?.enqueue(s);
  }

  /** Writes ingress and the LoadBalancerReady condition when they differ; returns whether the ingress changed. */
  private async writeStatus(svc: Service, ingress: coreV1Service.LoadBalancerIngress[], cond: Pick<metaV1.Condition, "status" | "reason" | "message">, signal: AbortSignal): Promise<boolean> {
    const old = svc.status?.conditions.find((c) => c.type === LB_CONDITION);
    const ingressChanged = !isDeepStrictEqual(svc.status?.loadBalancer?.ingress ?? [], ingress);
    const condChanged = !old || old.status !== cond.status || old.reason !== cond.reason || old.message !== cond.message;
    if (!ingressChanged && !condChanged) return false;
    const condition: metaV1.Condition = {
      type: LB_CONDITION,
      ...cond,
      observedGeneration: svc.metadata?.generation ?? 0,
      lastTransitionTime: old && old.status === cond.status ? old.lastTransitionTime : timestamp(),
    };
    const updated = coreV1Service.Service.fromPartial(svc);
    updated.status = coreV1Service.ServiceStatus.fromPartial({
      ...svc.status,
      loadBalancer: { ingress },
      conditions: [...(svc.status?.conditions ?? []).filter((c) => c.type !== LB_CONDITION), condition],
    });
    await this.ctx.client.updateStatus(serviceKind, updated, { signal });
    return ingressChanged;
  }

  /** Sets the pool gauges from the provider's usage (also before the first reconcile: all free). */
  reportUsage(): void {
    for (const u of this.lb.usage()) {
      this.ctx.metrics.poolUsed.set({ pool: u.pool }, u.used);
      this.ctx.metrics.poolFree.set({ pool: u.pool }, u.free);
    }
  }
}

/** Builds the service controller: LoadBalancer Services get addresses from the provider, on the context's manager. */
export function newServiceController(ctx: ControllerContext): void {
  const lb = ctx.provider.loadBalancer();
  if (!lb) {
    ctx.logger.warn({ controller: "service", provider: ctx.provider.name }, "the provider has no LoadBalancer; service controller not started");
    return;
  }
  const services = ctx.informers.informerFor(serviceKind);
  const nodes = ctx.informers.informerFor(nodeKind);
  const reconciler = new ServiceReconciler(ctx, lb, services.lister, nodes.lister);
  // One worker: the allocation and its status write must not interleave with another's.
  const controller = ctx.manager.newController({ name: "service", reconciler, workers: 1 });
  reconciler.controller = controller;
  reconciler.reportUsage();
  controller.watch(services);
}
