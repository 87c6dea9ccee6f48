// Unit tests of a Job sync's decisions: pods to start and stop, conditions, back-off and deadline.
import assert from "node:assert/strict";
import { test } from "node:test";
import { batchV1Job, coreV1Pod } from "@kubeplane/api";
import { planSync } from "./plan.js";

const now = new Date("2026-01-01T00:10:00Z");
const noWait = (): number => 0;
const job = (spec: Partial<batchV1Job.JobSpec>, status: Partial<batchV1Job.JobStatus> = {}): batchV1Job.Job =>
  batchV1Job.Job.fromPartial({
    metadata: { name: "j", namespace: "default", uid: "u" },
    spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "i" }] } }, ...spec },
    status: { startTime: "2026-01-01T00:00:00Z", ...status },
  });
const pod = (name: string, phase: string, opts: { node?: string; ready?: boolean } = {}): coreV1Pod.Pod =>
  coreV1Pod.Pod.fromPartial({
    metadata: { name, uid: name, creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { nodeName: opts.node ?? "n1" },
    status: { phase, conditions: opts.ready ? [{ type: "Ready", status: "True" }] : [] },
  });
const conditionOf = (status: batchV1Job.JobStatus, type: string): batchV1Job.JobCondition | undefined => status.conditions.find((c) => c.type === type && c.status === "True");

test("starts pods up to parallelism, never more than the completions left", () => {
  assert.equal(planSync(job({ parallelism: 2, completions: 3 }), [], now, noWait).create, 2);
  const plan = planSync(job({ parallelism: 2, completions: 3 }), [pod("a", "Succeeded"), pod("b", "Succeeded"), pod("c", "Running", { ready: true })], now, noWait);
  assert.equal(plan.create, 0);
  assert.equal(plan.status.succeeded, 2);
  assert.equal(plan.status.active, 1);
  assert.equal(plan.status.ready, 1);
});

test("reaching completions marks the Job Complete and stops what still runs", () => {
  const running = pod("c", "Running");
  const plan = planSync(job({ parallelism: 2, completions: 1 }), [pod("a", "Succeeded"), running], now, noWait);
  assert.ok(conditionOf(plan.status, "Complete"));
  assert.deepEqual(plan.remove, [running]);
  assert.equal(plan.create, 0);
});

test("more failures than backoffLimit fail the Job with BackoffLimitExceeded", () => {
  const plan = planSync(job({ backoffLimit: 1, completions: 3 }), [pod("a", "Failed"), pod("b", "Failed"), pod("c", "Running")], now, noWait);
  assert.equal(conditionOf(plan.status, "Failed")?.reason, "BackoffLimitExceeded");
  assert.equal(plan.remove.length, 1);
});

test("an active deadline in the past fails the Job; one in the future requeues at it", () => {
  assert.equal(conditionOf(planSync(job({ activeDeadlineSeconds: 60 }), [], now, noWait).status, "Failed")?.reason, "DeadlineExceeded");
  assert.equal(planSync(job({ activeDeadlineSeconds: 660 }), [pod("a", "Running")], now, noWait).requeueAfterMs, 60_000);
});

test("a suspended Job stops its pods; back-off delays replacements and requeues", () => {
  const running = pod("a", "Running");
  const suspended = planSync(job({ suspend: true, parallelism: 1 }), [running], now, noWait);
  assert.ok(conditionOf(suspended.status, "Suspended"));
  assert.deepEqual(suspended.remove, [running]);
  const waiting = planSync(job({ parallelism: 1, completions: 2 }), [pod("f", "Failed")], now, () => 5_000);
  assert.equal(waiting.create, 0);
  assert.equal(waiting.requeueAfterMs, 5_000);
});
