// The route controller: makes the provider's routes match the Nodes' pod CIDRs, and marks each routed Node's network available.
import { isDeepStrictEqual } from "node:util";
import { coreV1Node, isConflict, isNotFound } from "@kubeplane/api";
import type { Lister } from "@kubeplane/client";
import type { Reconciler, Result } from "@kubeplane/controller";
import { NoRouteAddressError, type Route, type Routes } from "../provider/interface.js";
import { nodeKind } from "./cloud-node.js";
import type { ControllerContext } from "./context.js";

type Node = coreV1Node.Node;

/** The one key of this controller: routes are reconciled as a whole, as Kubernetes does. */
export const ROUTES_KEY = "routes";

const routeId = (r: Route): string => `${r.targetNode} ${r.destinationCidr}`;

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A Node's pod CIDRs: spec.podCIDRs (one per family in a dual-stack cluster), else spec.podCIDR. */
function podCidrsOf(n: Node): string[] {
  return n.spec?.podCidrs.length ? n.spec.podCidrs : n.spec?.podCidr ? [n.spec.podCidr] : [];
}

/**
 * Lists the provider's routes, deletes those no Node wants (a deleted Node, a changed CIDR) and
 * creates the missing or incomplete ones — one per pod CIDR, each via the Node's address of its
 * family; then sets NetworkUnavailable=False on Nodes whose routes all exist. A pod CIDR whose Node
 * has no address of its family gets no route: said once (log and Warning event), not retried as an
 * error. One key, one worker; also runs every routeReconcilePeriod to repair drift on hosts.
 */
export class RouteReconciler implements Reconciler {
  /** Routes (node + CIDR) already reported as having no address of their family. */
  private readonly unroutable = new Set<string>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly routes: Routes,
    private readonly nodes: Lister<Node>,
  ) {}

  async reconcile(_req: unknown, signal: AbortSignal): Promise<Result> {
    const again = { requeueAfterMs: this.ctx.config.routeReconcilePeriod };
    const wanted = this.nodes
      .list()
      .filter((n) => !n.metadata?.deletionTimestamp)
      .flatMap((n) => podCidrsOf(n).map((cidr): Route => ({ targetNode: n.metadata!.name, destinationCidr: cidr })));
    const wantedIds = new Set(wanted.map(routeId));
    const existing = await this.routes.listRoutes(signal);
    const complete = new Set(existing.filter((r) => !r.incomplete).map(routeId));
    const failures: string[] = [];
    for (const r of existing) {
      if (wantedIds.has(routeId(r))) continue;
      await this.attempt(failures, r, "delete", () => this.routes.deleteRoute(r, signal));
    }
    const routed = new Set<string>();
    const notRouted = new Set<string>();
    for (const r of wanted) {
      if (complete.has(routeId(r))) {
        routed.add(r.targetNode);
        continue;
      }
      const outcome = await this.attempt(failures, r, "create", () => this.routes.createRoute(r, signal));
      if (outcome === "ok") routed.add(r.targetNode);
      else if (outcome === "failed") notRouted.add(r.targetNode);
    }
    for (const id of this.unroutable) if (!wantedIds.has(id)) this.unroutable.delete(id);
    for (const name of routed) if (!notRouted.has(name)) await this.markNetworkAvailable(name, signal);
    this.ctx.metrics.routeSync.inc({ result: failures.length ? "error" : "success" });
    if (failures.length) this.ctx.logger.warn({ controller: "route", failures }, "some routes could not be reconciled; retrying next period");
    return again;
  }

  /**
   * Runs one route operation; a failure is recorded (the others still run). A route without a next
   * hop of its family is "skipped", reported the first time only.
   */
  private async attempt(failures: string[], r: Route, op: "create" | "delete", fn: () => Promise<void>): Promise<"ok" | "failed" | "skipped"> {
    try {
      await fn();
      this.unroutable.delete(routeId(r));
      this.ctx.logger.info({ controller: "route", node: r.targetNode, cidr: r.destinationCidr }, op === "create" ? "route created" : "route deleted");
      return "ok";
    } catch (err) {
      if (err instanceof NoRouteAddressError) {
        if (!this.unroutable.has(routeId(r))) {
          this.unroutable.add(routeId(r));
          this.ctx.logger.warn({ controller: "route", node: r.targetNode, cidr: r.destinationCidr }, err.message);
          const node = this.nodes.get("", r.targetNode);
          if (node) this.ctx.events.record(nodeKind, node, "Warning", "NoRouteAddress", err.message);
        }
        return "skipped";
      }
      failures.push(`${op} ${routeId(r)}: ${(err as Error).message}`);
      return "failed";
    }
  }

  /** Kubernetes' NetworkUnavailable=False/RouteCreated, written once a Node's route exists. */
  private async markNetworkAvailable(name: string, signal: AbortSignal): Promise<void> {
    const node = this.nodes.get("", name);
    if (!node) return;
    const old = node.status?.conditions.find((c) => c.type === "NetworkUnavailable");
    if (old?.status === "False" && old.reason === "RouteCreated") return;
    const now = timestamp();
    const condition: coreV1Node.NodeCondition = { type: "NetworkUnavailable", status: "False", reason: "RouteCreated", message: "RouteController created a route", lastHeartbeatTime: now, lastTransitionTime: now };
    const updated = coreV1Node.Node.fromPartial(node);
    updated.status = coreV1Node.NodeStatus.fromPartial({ ...node.status, conditions: [...(node.status?.conditions ?? []).filter((c) => c.type !== "NetworkUnavailable"), condition] });
    try {
      await this.ctx.client.updateStatus(nodeKind, updated, { signal });
    } catch (err) {
      // A kubelet's heartbeat won the race or the Node is gone: the next round writes it.
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }
}

/** Node changes that matter to routes: pod CIDRs, addresses, deletion. */
function routeRelevant(n: Node): unknown {
  return [n.spec?.podCidr, n.spec?.podCidrs, n.status?.addresses, n.metadata?.deletionTimestamp];
}

/** Builds the route controller: a route per node pod CIDR through the provider, on the context's manager. */
export function newRouteController(ctx: ControllerContext): void {
  const routes = ctx.provider.routes();
  if (!routes) {
    ctx.logger.warn({ controller: "route", provider: ctx.provider.name }, "the provider has no Routes; route controller not started");
    return;
  }
  const informer = ctx.informers.informerFor(nodeKind);
  const controller = ctx.manager.newController({ name: "route", reconciler: new RouteReconciler(ctx, routes, informer.lister), workers: 1 });
  const enqueue = (): void => controller.enqueueKey(ROUTES_KEY);
  informer.addEventHandler({
    onAdd: enqueue,
    onUpdate: (old, cur) => {
      if (!isDeepStrictEqual(routeRelevant(old), routeRelevant(cur))) enqueue();
    },
    onDelete: enqueue,
  });
  ctx.provider.onChange(enqueue);
  // Once at start even without Nodes: routes of Nodes deleted while we were down must go too.
  enqueue();
}
