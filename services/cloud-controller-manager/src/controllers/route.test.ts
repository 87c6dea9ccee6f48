// Unit test of the route controller on a dual-stack cluster: one route per pod CIDR, a family without a next hop reported once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coreV1Node } from "@kubeplane/api";
import type { Lister } from "@kubeplane/client";
import { NoRouteAddressError, type Route, type Routes } from "../provider/interface.js";
import type { ControllerContext } from "./context.js";
import { RouteReconciler } from "./route.js";

type Node = coreV1Node.Node;

interface Recorded {
  statusUpdates: string[];
  events: string[];
  warnings: string[];
  sync: string[];
}

function fakeContext(rec: Recorded): ControllerContext {
  return {
    client: { updateStatus: (_kind: unknown, node: Node) => (rec.statusUpdates.push(node.metadata!.name), Promise.resolve(node)) },
    events: { record: (_k: unknown, o: Node, type: string, reason: string, message: string) => rec.events.push(`${o.metadata!.name} ${type} ${reason}: ${message}`) },
    metrics: { routeSync: { inc: (l: { result: string }) => rec.sync.push(l.result) } },
    logger: { info: () => undefined, warn: (_o: unknown, msg: string) => rec.warnings.push(msg) },
    config: { routeReconcilePeriod: 10_000 },
  } as unknown as ControllerContext;
}

function lister(nodes: Node[]): Lister<Node> {
  return { list: () => nodes, get: (_ns: string, name: string) => nodes.find((n) => n.metadata?.name === name) } as unknown as Lister<Node>;
}

/** Routes kept in memory; a CIDR's family needs a next hop of that family, as the bare-metal provider. */
class MemoryRoutes implements Routes {
  readonly table = new Map<string, string>();
  readonly calls: string[] = [];
  constructor(readonly hops: Record<string, { 4?: string; 6?: string }>) {}
  listRoutes(): Promise<Route[]> {
    return Promise.resolve([...this.table].map(([cidr, node]) => ({ targetNode: node, destinationCidr: cidr })));
  }
  createRoute(r: Route): Promise<void> {
    const via = this.hops[r.targetNode]?.[r.destinationCidr.includes(":") ? 6 : 4];
    if (!via) return Promise.reject(new NoRouteAddressError(`node ${r.targetNode} has no address for ${r.destinationCidr}`));
    this.calls.push(`create ${r.destinationCidr} via ${via}`);
    this.table.set(r.destinationCidr, r.targetNode);
    return Promise.resolve();
  }
  deleteRoute(r: Route): Promise<void> {
    this.calls.push(`delete ${r.destinationCidr}`);
    this.table.delete(r.destinationCidr);
    return Promise.resolve();
  }
}

const node = (name: string, podCidrs: string[]): Node => coreV1Node.Node.fromPartial({ metadata: { name }, spec: { podCidr: podCidrs[0] ?? "", podCidrs } });

describe("route controller, dual stack", () => {
  it("routes each pod CIDR via the node address of its family; a family without an address is reported once and blocks nothing", async () => {
    const rec: Recorded = { statusUpdates: [], events: [], warnings: [], sync: [] };
    const routes = new MemoryRoutes({ a: { 4: "10.77.0.21", 6: "fd00:77::21" }, b: { 4: "10.77.0.22" } });
    routes.table.set("10.244.9.0/24", "gone"); // a deleted Node's route
    const nodes = [node("a", ["10.244.1.0/24", "fd00:10:244:1::/64"]), node("b", ["10.244.2.0/24", "fd00:10:244:2::/64"])];
    const reconciler = new RouteReconciler(fakeContext(rec), routes, lister(nodes));
    const signal = new AbortController().signal;

    await reconciler.reconcile(undefined, signal);
    assert.deepEqual(routes.calls, ["delete 10.244.9.0/24", "create 10.244.1.0/24 via 10.77.0.21", "create fd00:10:244:1::/64 via fd00:77::21", "create 10.244.2.0/24 via 10.77.0.22"]);
    assert.deepEqual(rec.events, ["b Warning NoRouteAddress: node b has no address for fd00:10:244:2::/64"]);
    assert.equal(rec.warnings.filter((w) => w.includes("no address")).length, 1);
    assert.deepEqual(rec.sync, ["success"], "a missing family is no failure");
    assert.deepEqual(rec.statusUpdates.sort(), ["a", "b"], "both Nodes' routes exist: NetworkUnavailable=False");

    routes.calls.length = 0;
    await reconciler.reconcile(undefined, signal);
    assert.deepEqual(routes.calls, [], "nothing to do the second time");
    assert.equal(rec.events.length, 1, "no second event for the same route");
    assert.equal(rec.warnings.filter((w) => w.includes("no address")).length, 1, "no second warning");

    // b's Node gets an IPv6 address: its IPv6 route follows.
    routes.hops["b"] = { 4: "10.77.0.22", 6: "fd00:77::22" };
    await reconciler.reconcile(undefined, signal);
    assert.deepEqual(routes.calls, ["create fd00:10:244:2::/64 via fd00:77::22"]);
  });

  it("a Node with only spec.podCIDR (single stack) gets its one route", async () => {
    const rec: Recorded = { statusUpdates: [], events: [], warnings: [], sync: [] };
    const routes = new MemoryRoutes({ c: { 4: "10.77.0.23" } });
    const single = coreV1Node.Node.fromPartial({ metadata: { name: "c" }, spec: { podCidr: "10.244.3.0/24" } });
    await new RouteReconciler(fakeContext(rec), routes, lister([single])).reconcile(undefined, new AbortController().signal);
    assert.deepEqual(routes.calls, ["create 10.244.3.0/24 via 10.77.0.23"]);
    assert.deepEqual(rec.statusUpdates, ["c"]);
  });
});
