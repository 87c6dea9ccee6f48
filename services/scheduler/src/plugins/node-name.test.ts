// Unit tests for NodeName: spec.nodeName pins the pod to one node.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Node, coreV1Pod } from "@kubeplane/api";
import { Code, CycleState } from "../framework/interface.js";
import { nodeInfoOf } from "../framework/node-info.js";
import { newPodInfo } from "../framework/pod-info.js";
import { ERR_REASON_NODE_NAME, NodeName } from "./node-name.js";
import { inTreeRegistry } from "./registry.js";

const node = (name: string) => nodeInfoOf(coreV1Node.Node.fromPartial({ metadata: { name } }));
const pod = (nodeName = "") => newPodInfo(coreV1Pod.Pod.fromPartial({ metadata: { name: "p", namespace: "default" }, spec: { nodeName } }));

test("a pod without spec.nodeName fits every node and skips Filter", () => {
  const pl = new NodeName();
  assert.equal(pl.preFilter(new CycleState(), pod()).status.code, Code.Skip);
  assert.equal(pl.filter(new CycleState(), pod(), node("n1")).code, Code.Success);
});

test("a pod with spec.nodeName fits that node only, unresolvably elsewhere", () => {
  const pl = new NodeName();
  assert.equal(pl.filter(new CycleState(), pod("n1"), node("n1")).code, Code.Success);
  assert.deepEqual(pl.filter(new CycleState(), pod("n1"), node("n2")), {
    code: Code.UnschedulableAndUnresolvable,
    reasons: [ERR_REASON_NODE_NAME],
  });
  assert.equal(ERR_REASON_NODE_NAME, "node(s) didn't match the requested node name");
});

test("PreFilter narrows the candidates to spec.nodeName", () => {
  const result = new NodeName().preFilter(new CycleState(), pod("n1"));
  assert.equal(result.status.code, Code.Success);
  assert.deepEqual(result.nodeNames, new Set(["n1"]));
});

test("NodeName registers itself under its profile name", () => {
  assert.ok(inTreeRegistry()["NodeName"]);
});
