// Unit tests for TaintToleration: hard taints filter, PreferNoSchedule taints rank.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Node, coreV1Pod } from "@kubeplane/api";
import { Code, CycleState } from "../framework/interface.js";
import { nodeInfoOf } from "../framework/node-info.js";
import { newPodInfo } from "../framework/pod-info.js";
import { TaintToleration } from "./taint-toleration.js";

type Taint = Partial<coreV1Node.Taint>;
type Toleration = Partial<coreV1Pod.Toleration>;

const node = (name: string, taints: Taint[]) => nodeInfoOf(coreV1Node.Node.fromPartial({ metadata: { name }, spec: { taints } }));
const pod = (tolerations: Toleration[] = []) =>
  newPodInfo(coreV1Pod.Pod.fromPartial({ metadata: { name: "p", namespace: "default" }, spec: { tolerations } }));

test("an untolerated NoSchedule or NoExecute taint rejects the node naming the taint", () => {
  const pl = new TaintToleration();
  assert.deepEqual(pl.filter(new CycleState(), pod(), node("n1", [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }])), {
    code: Code.UnschedulableAndUnresolvable,
    reasons: ["node(s) had untolerated taint {dedicated: gpu}"],
  });
  assert.deepEqual(pl.filter(new CycleState(), pod(), node("n1", [{ key: "node-role.kubernetes.io/control-plane", effect: "NoExecute" }])).reasons, [
    "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
  ]);
});

test("tolerated and PreferNoSchedule taints do not filter", () => {
  const pl = new TaintToleration();
  const n = node("n1", [
    { key: "dedicated", value: "gpu", effect: "NoSchedule" },
    { key: "soft", value: "x", effect: "PreferNoSchedule" },
  ]);
  assert.equal(pl.filter(new CycleState(), pod([{ key: "dedicated", operator: "Exists" }]), n).code, Code.Success);
  // The first untolerated hard taint names the reason.
  const two = node("n2", [
    { key: "a", value: "1", effect: "NoSchedule" },
    { key: "b", value: "2", effect: "NoSchedule" },
  ]);
  assert.deepEqual(pl.filter(new CycleState(), pod([{ key: "a", operator: "Exists" }]), two).reasons, ["node(s) had untolerated taint {b: 2}"]);
});

test("score counts intolerable PreferNoSchedule taints and normalises so fewer is better", () => {
  const pl = new TaintToleration();
  const p = pod([{ key: "tolerated", operator: "Exists", effect: "PreferNoSchedule" }]);
  const nodes = [
    node("clean", []),
    node("one", [{ key: "a", value: "1", effect: "PreferNoSchedule" }, { key: "tolerated", value: "x", effect: "PreferNoSchedule" }]),
    node("two", [{ key: "a", value: "1", effect: "PreferNoSchedule" }, { key: "b", value: "2", effect: "PreferNoSchedule" }]),
  ];
  const state = new CycleState();
  assert.equal(pl.preScore(state, p).code, Code.Success);
  const scores = Float64Array.from(nodes, (n) => pl.score(state, p, n));
  assert.deepEqual([...scores], [0, 1, 2]);
  pl.normalizeScores(state, p, scores);
  assert.deepEqual([...scores], [100, 50, 0]);
});

test("a toleration with a NoSchedule effect does not help against PreferNoSchedule", () => {
  const pl = new TaintToleration();
  const p = pod([{ key: "a", operator: "Exists", effect: "NoSchedule" }]);
  const state = new CycleState();
  pl.preScore(state, p);
  assert.equal(pl.score(state, p, node("n", [{ key: "a", value: "1", effect: "PreferNoSchedule" }])), 1);
});
