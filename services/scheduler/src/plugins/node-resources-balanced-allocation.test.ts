// Unit tests for NodeResourcesBalancedAllocation: nodes whose cpu and memory shares stay equal win.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Node, coreV1Pod } from "@kubeplane/api";
import { Code, CycleState } from "../framework/interface.js";
import type { NodeInfo, PodInfo } from "../framework/interface.js";
import { nodeInfoOf } from "../framework/node-info.js";
import { newPodInfo } from "../framework/pod-info.js";
import { NodeResourcesBalancedAllocation, balancedResourceScore } from "./node-resources-balanced-allocation.js";

type List = Record<string, string>;
let seq = 0;
const pod = (requests: List = {}): PodInfo =>
  newPodInfo(coreV1Pod.Pod.fromPartial({ metadata: { name: `p${++seq}`, namespace: "default" }, spec: { containers: [{ name: "c", resources: { requests } }] } }));
const node = (name: string, allocatable: List, pods: PodInfo[] = []): NodeInfo =>
  nodeInfoOf(coreV1Node.Node.fromPartial({ metadata: { name }, status: { allocatable: { pods: "110", ...allocatable } } }), pods);

const alloc = { cpu: "4", memory: "8Gi" };

test("score is (1 − |cpu share − memory share| / 2) × 100 and orders nodes by balance", () => {
  const pl = new NodeResourcesBalancedAllocation(undefined);
  const p = pod({ cpu: "1", memory: "2Gi" });
  const nodes = [
    // cpu 2/4 = .5, memory 4/8 = .5 → 100.
    node("balanced", alloc, [pod({ cpu: "1", memory: "2Gi" })]),
    // cpu 2/4 = .5, memory 2/8 = .25 → std .125 → 87.
    node("skewed", alloc, [pod({ cpu: "1" })]),
    // cpu 4/4 = 1, memory 2/8 = .25 → std .375 → 62.
    node("cpu-heavy", alloc, [pod({ cpu: "3" })]),
  ];
  const state = new CycleState();
  assert.equal(pl.preScore(state, p).code, Code.Success);
  assert.deepEqual(Object.fromEntries(nodes.map((n) => [n.name, pl.score(state, p, n)])), { balanced: 100, skewed: 87, "cpu-heavy": 62 });
});

test("shares above 1 are capped and a node without allocatable for a resource ignores it", () => {
  assert.equal(balancedResourceScore([8000, 1], [4000, 8]), 56); // fractions 1 and .125 → std .4375
  assert.equal(balancedResourceScore([1000, 5], [4000, 0]), 100); // one fraction → std 0
  // Three resources use the population standard deviation: .1, .5, .9 → std ≈ .3266 → 67.
  assert.equal(balancedResourceScore([1, 5, 9], [10, 10, 10]), 67);
});

test("requests are used as written, without the non-zero defaults", () => {
  const pl = new NodeResourcesBalancedAllocation(undefined);
  const p = pod({ cpu: "2" });
  const state = new CycleState();
  pl.preScore(state, p);
  // cpu 2/4 = .5, memory 0/8 = 0 → std .25 → 75 (with defaults memory would not be 0).
  assert.equal(pl.score(state, p, node("n1", alloc)), 75);
});

test("a best-effort pod skips balanced allocation scoring", () => {
  assert.equal(new NodeResourcesBalancedAllocation(undefined).preScore(new CycleState(), pod()).code, Code.Skip);
});
