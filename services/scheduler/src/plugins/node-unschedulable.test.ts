// Unit tests for NodeUnschedulable: cordoned nodes take only pods tolerating the unschedulable taint.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Node, coreV1Pod } from "@kubeplane/api";
import { Code, CycleState } from "../framework/interface.js";
import { nodeInfoOf } from "../framework/node-info.js";
import { newPodInfo } from "../framework/pod-info.js";
import { NodeUnschedulable } from "./node-unschedulable.js";

const node = (unschedulable: boolean) => nodeInfoOf(coreV1Node.Node.fromPartial({ metadata: { name: "n1" }, spec: { unschedulable } }));
const pod = (tolerations: Partial<coreV1Pod.Toleration>[] = []) =>
  newPodInfo(coreV1Pod.Pod.fromPartial({ metadata: { name: "p", namespace: "default" }, spec: { tolerations } }));
const filter = (n: ReturnType<typeof node>, p: ReturnType<typeof pod>) => new NodeUnschedulable().filter(new CycleState(), p, n);

test("a schedulable node fits any pod", () => {
  assert.equal(filter(node(false), pod()).code, Code.Success);
});

test("a cordoned node rejects a pod without the toleration, unresolvably", () => {
  assert.deepEqual(filter(node(true), pod()), { code: Code.UnschedulableAndUnresolvable, reasons: ["node(s) were unschedulable"] });
  const wrongEffect = pod([{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoExecute" }]);
  assert.equal(filter(node(true), wrongEffect).code, Code.UnschedulableAndUnresolvable);
});

test("a cordoned node takes a pod tolerating node.kubernetes.io/unschedulable:NoSchedule", () => {
  assert.equal(filter(node(true), pod([{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }])).code, Code.Success);
  // An empty key with Exists tolerates every taint.
  assert.equal(filter(node(true), pod([{ operator: "Exists" }])).code, Code.Success);
});
