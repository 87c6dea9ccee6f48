// Unit tests of daemon pod node eligibility: selectors, required affinity operators, taints and the daemon tolerations.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Node, coreV1Pod } from "@kubeplane/api";
import { matchesNodeRequirement, nodeShouldRunDaemonPod } from "./node-eligibility.js";

const node = (labels: Record<string, string>, taints: Partial<coreV1Node.Taint>[] = []): coreV1Node.Node =>
  coreV1Node.Node.fromPartial({ metadata: { name: "n", labels }, spec: { taints } });
const spec = (p: object = {}): coreV1Pod.PodSpec => coreV1Pod.PodSpec.fromPartial({ containers: [{ name: "c", image: "i" }], ...p });

test("node selector requirements support In, NotIn, Exists, DoesNotExist, Gt and Lt", () => {
  const labels = { zone: "a", cores: "8" };
  const r = (key: string, operator: string, values: string[] = []) => matchesNodeRequirement(labels, { key, operator, values });
  assert.equal(r("zone", "In", ["a", "b"]), true);
  assert.equal(r("zone", "NotIn", ["a"]), false);
  assert.equal(r("missing", "NotIn", ["a"]), true);
  assert.equal(r("zone", "Exists"), true);
  assert.equal(r("zone", "DoesNotExist"), false);
  assert.equal(r("cores", "Gt", ["4"]), true);
  assert.equal(r("cores", "Lt", ["4"]), false);
  assert.equal(r("zone", "Gt", ["4"]), false, "a non-integer label never compares");
});

test("nodeSelector and required node affinity decide eligibility", () => {
  assert.deepEqual(nodeShouldRunDaemonPod(node({ role: "web" }), spec({ nodeSelector: { role: "db" } })), { shouldRun: false, shouldContinueRunning: false });
  const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "role", operator: "In", values: ["web"] }] }] } } };
  assert.equal(nodeShouldRunDaemonPod(node({ role: "web" }), spec({ affinity })).shouldRun, true);
  assert.equal(nodeShouldRunDaemonPod(node({ role: "db" }), spec({ affinity })).shouldRun, false);
});

test("an untolerated NoSchedule taint blocks new pods only; NoExecute evicts too", () => {
  assert.deepEqual(nodeShouldRunDaemonPod(node({}, [{ key: "k", effect: "NoSchedule" }]), spec()), { shouldRun: false, shouldContinueRunning: true });
  assert.deepEqual(nodeShouldRunDaemonPod(node({}, [{ key: "k", effect: "NoExecute" }]), spec()), { shouldRun: false, shouldContinueRunning: false });
  const tolerated = spec({ tolerations: [{ key: "k", operator: "Equal", value: "v", effect: "NoSchedule" }] });
  assert.equal(nodeShouldRunDaemonPod(node({}, [{ key: "k", value: "v", effect: "NoSchedule" }]), tolerated).shouldRun, true);
});

test("daemon pods tolerate not-ready, unreachable, pressure and unschedulable taints by default", () => {
  for (const [key, effect] of [["node.kubernetes.io/not-ready", "NoExecute"], ["node.kubernetes.io/unreachable", "NoExecute"], ["node.kubernetes.io/disk-pressure", "NoSchedule"], ["node.kubernetes.io/unschedulable", "NoSchedule"]] as const) {
    assert.deepEqual(nodeShouldRunDaemonPod(node({}, [{ key, effect }]), spec()), { shouldRun: true, shouldContinueRunning: true }, key);
  }
});
