// Unit tests for NodeAffinity: nodeSelector and required terms filter, preferred terms rank.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Node, coreV1Pod } from "@kubeplane/api";
import type { coreV1Types } from "@kubeplane/api";
import { Code, CycleState } from "../framework/interface.js";
import type { NodeInfo, PodInfo } from "../framework/interface.js";
import { nodeInfoOf } from "../framework/node-info.js";
import { newPodInfo } from "../framework/pod-info.js";
import { ERR_REASON_CONFLICT, ERR_REASON_ENFORCED, ERR_REASON_POD, NodeAffinity } from "./node-affinity.js";

type Req = Partial<coreV1Types.NodeSelectorRequirement>;
type Term = { matchExpressions?: Req[]; matchFields?: Req[] };

const node = (name: string, labels: Record<string, string> = {}): NodeInfo => nodeInfoOf(coreV1Node.Node.fromPartial({ metadata: { name, labels } }));
function pod(opts: { nodeSelector?: Record<string, string>; required?: Term[]; preferred?: { weight: number; preference: Term }[] }): PodInfo {
  const nodeAffinity =
    opts.required || opts.preferred
      ? {
          requiredDuringSchedulingIgnoredDuringExecution: opts.required ? { nodeSelectorTerms: opts.required } : undefined,
          preferredDuringSchedulingIgnoredDuringExecution: opts.preferred ?? [],
        }
      : undefined;
  return newPodInfo(
    coreV1Pod.Pod.fromPartial({
      metadata: { name: "p", namespace: "default" },
      spec: { nodeSelector: opts.nodeSelector ?? {}, affinity: nodeAffinity ? { nodeAffinity } : undefined },
    }),
  );
}

function filter(p: PodInfo, n: NodeInfo, pl = new NodeAffinity(undefined)) {
  const state = new CycleState();
  const pre = pl.preFilter(state, p);
  if (pre.status.code === Code.Skip) return pre.status;
  return pl.filter(state, p, n);
}
const noMatch = { code: Code.UnschedulableAndUnresolvable, reasons: [ERR_REASON_POD] };
const zone = (operator: string, ...values: string[]): Term => ({ matchExpressions: [{ key: "zone", operator, values }] });

test("a pod without node constraints skips the plugin", () => {
  assert.equal(new NodeAffinity(undefined).preFilter(new CycleState(), pod({})).status.code, Code.Skip);
});

test("nodeSelector needs every label to match", () => {
  const p = pod({ nodeSelector: { zone: "a", disk: "ssd" } });
  assert.equal(filter(p, node("n1", { zone: "a", disk: "ssd", extra: "x" })).code, Code.Success);
  assert.deepEqual(filter(p, node("n2", { zone: "a" })), noMatch);
  assert.equal(ERR_REASON_POD, "node(s) didn't match Pod's node affinity/selector");
});

test("required terms are ORed and their expressions ANDed", () => {
  const p = pod({
    required: [
      { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }, { key: "disk", operator: "Exists", values: [] }] },
      zone("In", "b"),
    ],
  });
  assert.equal(filter(p, node("n1", { zone: "a", disk: "hdd" })).code, Code.Success);
  assert.equal(filter(p, node("n2", { zone: "b" })).code, Code.Success);
  assert.deepEqual(filter(p, node("n3", { zone: "a" })), noMatch);
  assert.deepEqual(filter(p, node("n4", { zone: "c", disk: "ssd" })), noMatch);
});

test("nodeSelector and required affinity must both match", () => {
  const p = pod({ nodeSelector: { disk: "ssd" }, required: [zone("In", "a")] });
  assert.equal(filter(p, node("n1", { zone: "a", disk: "ssd" })).code, Code.Success);
  assert.deepEqual(filter(p, node("n2", { zone: "a" })), noMatch);
});

test("operators NotIn, DoesNotExist, Gt and Lt follow label selector semantics", () => {
  const cases: [Term, Record<string, string>, boolean][] = [
    [zone("NotIn", "a"), { zone: "b" }, true],
    [zone("NotIn", "a"), {}, true],
    [zone("NotIn", "a"), { zone: "a" }, false],
    [zone("DoesNotExist"), {}, true],
    [zone("DoesNotExist"), { zone: "a" }, false],
    [{ matchExpressions: [{ key: "cores", operator: "Gt", values: ["8"] }] }, { cores: "16" }, true],
    [{ matchExpressions: [{ key: "cores", operator: "Gt", values: ["8"] }] }, { cores: "8" }, false],
    [{ matchExpressions: [{ key: "cores", operator: "Gt", values: ["8"] }] }, { cores: "many" }, false],
    [{ matchExpressions: [{ key: "cores", operator: "Lt", values: ["8"] }] }, { cores: "4" }, true],
    [{ matchExpressions: [{ key: "cores", operator: "Lt", values: ["8"] }] }, {}, false],
    // Invalid terms and empty terms match nothing.
    [zone("In"), { zone: "a" }, false],
    [{ matchExpressions: [{ key: "cores", operator: "Gt", values: ["x"] }] }, { cores: "9" }, false],
    [{}, { zone: "a" }, false],
  ];
  for (const [term, labels, fits] of cases) {
    const status = filter(pod({ required: [term] }), node("n", labels));
    assert.equal(status.code, fits ? Code.Success : Code.UnschedulableAndUnresolvable, JSON.stringify([term, labels]));
  }
});

test("matchFields metadata.name matches the node's name and pins PreFilter's candidates", () => {
  const p = pod({ required: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["n1"] }] }] });
  assert.equal(filter(p, node("n1")).code, Code.Success);
  assert.deepEqual(filter(p, node("n3")), noMatch);
  assert.deepEqual(new NodeAffinity(undefined).preFilter(new CycleState(), p).nodeNames, new Set(["n1"]));
  // A field requirement takes exactly one value (as API validation demands); otherwise the term never matches.
  const twoValues = pod({ required: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["n1", "n2"] }] }] });
  assert.deepEqual(filter(twoValues, node("n1")), noMatch);
  const notIn = pod({ required: [{ matchFields: [{ key: "metadata.name", operator: "NotIn", values: ["n1"] }] }] });
  assert.deepEqual(filter(notIn, node("n1")), noMatch);
  assert.equal(filter(notIn, node("n2")).code, Code.Success);
});

test("PreFilter pins names only when every term does, and reports conflicting terms", () => {
  const pl = new NodeAffinity(undefined);
  const mixed = pod({ required: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["n1"] }] }, zone("In", "a")] });
  assert.equal(pl.preFilter(new CycleState(), mixed).nodeNames, undefined);
  const union = pod({
    required: [
      { matchFields: [{ key: "metadata.name", operator: "In", values: ["n1"] }] },
      { matchFields: [{ key: "metadata.name", operator: "In", values: ["n2"] }] },
    ],
  });
  assert.deepEqual(pl.preFilter(new CycleState(), union).nodeNames, new Set(["n1", "n2"]));
  const conflict = pod({
    required: [
      {
        matchFields: [
          { key: "metadata.name", operator: "In", values: ["n1"] },
          { key: "metadata.name", operator: "In", values: ["n2"] },
        ],
      },
    ],
  });
  assert.deepEqual(pl.preFilter(new CycleState(), conflict).status, { code: Code.UnschedulableAndUnresolvable, reasons: [ERR_REASON_CONFLICT] });
});

test("the profile's addedAffinity is enforced on every pod", () => {
  const pl = new NodeAffinity({ addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [zone("In", "a")] } } });
  assert.deepEqual(filter(pod({}), node("n1", { zone: "b" }), pl), { code: Code.UnschedulableAndUnresolvable, reasons: [ERR_REASON_ENFORCED] });
  assert.equal(filter(pod({}), node("n2", { zone: "a" }), pl).code, Code.Success);
});

test("score sums the weights of matching preferred terms, normalised to 0..100", () => {
  const pl = new NodeAffinity(undefined);
  const p = pod({
    preferred: [
      { weight: 80, preference: zone("In", "a") },
      { weight: 20, preference: { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] } },
    ],
  });
  const nodes = [node("best", { zone: "a", disk: "ssd" }), node("zone-only", { zone: "a" }), node("neither", { zone: "b" })];
  const state = new CycleState();
  assert.equal(pl.preScore(state, p, nodes).code, Code.Success);
  const scores = new Map(nodes.map((n) => [n.name, pl.score(state, p, n)]));
  assert.deepEqual(Object.fromEntries(scores), { best: 100, "zone-only": 80, neither: 0 });
  const halves = Float64Array.of(30, 60, 0);
  pl.normalizeScores(state, p, halves);
  assert.deepEqual([...halves], [50, 100, 0]);
});

test("PreScore skips pods without preferred terms and errors on invalid ones", () => {
  const pl = new NodeAffinity(undefined);
  const nodes = [node("n1")];
  assert.equal(pl.preScore(new CycleState(), pod({ nodeSelector: { a: "b" } }), nodes).code, Code.Skip);
  assert.equal(pl.preScore(new CycleState(), pod({ preferred: [{ weight: 1, preference: zone("Near", "a") }] }), nodes).code, Code.Error);
});
