// Unit test of which pod updates wake a pod worker: the kubelet's own status writes must not.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Pod } from "@kubeplane/api";
import { needsSync } from "./pod-manager.js";

const base = coreV1Pod.Pod.fromPartial({
  metadata: { name: "p", namespace: "default", uid: "u1", resourceVersion: "100", labels: { app: "a" } },
  spec: { nodeName: "n", containers: [{ name: "c", image: "busybox:1.36" }] },
  status: { phase: "Pending" },
});

test("a status write (status, resourceVersion and managedFields moved) needs no sync; spec, labels and deletion do", () => {
  const statusWrite = coreV1Pod.Pod.fromPartial({
    ...base,
    metadata: { ...base.metadata!, resourceVersion: "228", managedFields: [{ manager: "kubelet", operation: "Update", subresource: "status", time: "2026-12-06T23:30:00Z" }] },
    status: { phase: "Running", podIp: "10.88.20.5" },
  });
  assert.equal(needsSync(base, statusWrite), false);
  assert.equal(needsSync(base, coreV1Pod.Pod.fromPartial({ ...base, metadata: { ...base.metadata!, labels: { app: "b" } } })), true);
  assert.equal(needsSync(base, coreV1Pod.Pod.fromPartial({ ...base, metadata: { ...base.metadata!, deletionTimestamp: "2026-12-06T23:31:00Z", deletionGracePeriodSeconds: 30 } })), true);
  assert.equal(needsSync(base, coreV1Pod.Pod.fromPartial({ ...base, spec: { ...base.spec!, activeDeadlineSeconds: 5 } })), true);
});
