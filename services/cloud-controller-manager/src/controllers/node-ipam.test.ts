// Unit test of node-ipam on a dual-stack cluster: each Node gets one pod CIDR per family, all or nothing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coreV1Node } from "@kubeplane/api";
import type { Lister } from "@kubeplane/client";
import { CidrSet } from "./cidr-set.js";
import type { ControllerContext } from "./context.js";
import { NodeIpamReconciler } from "./node-ipam.js";

type Node = coreV1Node.Node;

/** A context that records Node updates and events; nothing else is used by node-ipam. */
function fakeContext(updates: Node[], events: string[]): ControllerContext {
  return {
    client: { update: (_kind: unknown, node: Node) => (updates.push(node), Promise.resolve(node)) },
    events: { record: (_k: unknown, _o: unknown, _t: string, reason: string, message: string) => events.push(`${reason}: ${message}`) },
    metrics: { cidrUsage: { set: () => undefined } },
    logger: { info: () => undefined },
    config: {},
  } as unknown as ControllerContext;
}

function lister(nodes: Node[]): Lister<Node> {
  return { list: () => nodes, get: (_ns: string, name: string) => nodes.find((n) => n.metadata?.name === name) } as unknown as Lister<Node>;
}

const node = (name: string, podCidrs: string[] = []): Node => coreV1Node.Node.fromPartial({ metadata: { name }, spec: { podCidr: podCidrs[0] ?? "", podCidrs } });

describe("node-ipam, dual stack", () => {
  it("gives a new Node an IPv4 and an IPv6 pod CIDR (podCIDR the IPv4 one) and skips those Nodes already hold", async () => {
    const updates: Node[] = [];
    const nodes = [node("old", ["10.244.0.0/24", "fd00:10:244::/64"]), node("new")];
    const sets = [new CidrSet("10.244.0.0/16", 24), new CidrSet("fd00:10:244::/56", 64)];
    await new NodeIpamReconciler(fakeContext(updates, []), sets, lister(nodes)).reconcile({ namespace: "", name: "new" }, new AbortController().signal);
    assert.deepEqual(updates.map((n) => [n.spec?.podCidr, n.spec?.podCidrs]), [["10.244.1.0/24", ["10.244.1.0/24", "fd00:10:244:1::/64"]]]);
  });

  it("a family with no free CIDR assigns nothing and releases the other family's reservation", async () => {
    const updates: Node[] = [];
    const events: string[] = [];
    const nodes = [node("a", ["10.244.0.0/24", "fd00:10:244::/64"]), node("b")];
    const sets = [new CidrSet("10.244.0.0/16", 24), new CidrSet("fd00:10:244::/64", 64)];
    await new NodeIpamReconciler(fakeContext(updates, events), sets, lister(nodes)).reconcile({ namespace: "", name: "b" }, new AbortController().signal);
    assert.deepEqual(updates, []);
    assert.equal(sets[0]!.used, 1, "b's IPv4 reservation went back");
    assert.match(events[0] ?? "", /CIDRNotAvailable: .*no free \/64 in fd00:10:244::\/64/);
  });
});
