// Unit tests of node health: the newest heartbeat, readiness, and marking a silent node's conditions Unknown.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coordinationV1, coreV1Node } from "@kubeplane/api";
import { lastHeartbeatMs, markedUnknown, readinessOf } from "./node-health.js";

const created = "2026-01-01T00:00:00Z";
const node = (conditions: Partial<coreV1Node.NodeCondition>[] = []): coreV1Node.Node =>
  coreV1Node.Node.fromPartial({ metadata: { name: "n1", creationTimestamp: created }, status: { conditions } });
const lease = (renewTime: string): coordinationV1.Lease => coordinationV1.Lease.fromPartial({ metadata: { name: "n1" }, spec: { renewTime } });

test("the heartbeat is the newer of the Lease's renewTime and Ready's lastHeartbeatTime", () => {
  const n = node([{ type: "Ready", status: "True", lastHeartbeatTime: "2026-01-01T00:01:00Z" }]);
  assert.equal(lastHeartbeatMs(n, lease("2026-01-01T00:02:00.500000Z")), Date.parse("2026-01-01T00:02:00.500Z"));
  assert.equal(lastHeartbeatMs(n, lease("2026-01-01T00:00:30.000000Z")), Date.parse("2026-01-01T00:01:00Z"));
  assert.equal(lastHeartbeatMs(n, undefined), Date.parse("2026-01-01T00:01:00Z"));
  assert.equal(lastHeartbeatMs(node(), undefined), Date.parse(created), "a node that never reported counts from its creation");
});

test("readiness follows the Ready condition", () => {
  assert.equal(readinessOf(node([{ type: "Ready", status: "True" }])), "ready");
  assert.equal(readinessOf(node([{ type: "Ready", status: "False" }])), "not-ready");
  assert.equal(readinessOf(node([{ type: "Ready", status: "Unknown" }])), "unreachable");
  assert.equal(readinessOf(node()), "unreported");
});

test("a silent node's monitored conditions become Unknown, the heartbeat kept, once", () => {
  const now = new Date("2026-01-01T00:05:00.250Z");
  const n = node([
    { type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: "2026-01-01T00:01:00Z", lastTransitionTime: created },
    { type: "MemoryPressure", status: "False", lastHeartbeatTime: "2026-01-01T00:01:00Z" },
    { type: "NetworkUnavailable", status: "False" },
  ]);
  const conditions = markedUnknown(n, now)!;
  const ready = conditions.find((c) => c.type === "Ready")!;
  assert.deepEqual(
    { status: ready.status, reason: ready.reason, message: ready.message, hb: ready.lastHeartbeatTime, lt: ready.lastTransitionTime },
    { status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", hb: "2026-01-01T00:01:00Z", lt: "2026-01-01T00:05:00Z" },
  );
  assert.equal(conditions.find((c) => c.type === "NetworkUnavailable")!.status, "False", "conditions the controller does not monitor stay");
  assert.equal(conditions.find((c) => c.type === "DiskPressure")!.reason, "NodeStatusNeverUpdated");
  assert.equal(n.status!.conditions[0]!.status, "True", "the cached node is not mutated");
  assert.equal(markedUnknown(node(conditions), now), undefined, "nothing changes the second time");
});
