// Unit tests of a PodDisruptionBudget's computed status: minAvailable, maxUnavailable, percentages, evictions in flight.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Pod, policyV1 } from "@kubeplane/api";
import { computeBudget, DELETION_TIMEOUT_MS, type BudgetResult } from "./budget.js";

const now = new Date("2026-01-01T00:10:00Z");
const pod = (name: string, ready: boolean, deleting = false): coreV1Pod.Pod =>
  coreV1Pod.Pod.fromPartial({
    metadata: { name, namespace: "default", labels: { app: "web" }, ...(deleting ? { deletionTimestamp: "2026-01-01T00:09:00Z" } : {}) },
    status: { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  });
const budget = (spec: Partial<policyV1.PodDisruptionBudgetSpec>, disruptedPods: Record<string, string> = {}): policyV1.PodDisruptionBudget =>
  policyV1.PodDisruptionBudget.fromPartial({ metadata: { name: "web", namespace: "default", generation: 3 }, spec: { selector: { matchLabels: { app: "web" } }, ...spec }, status: { disruptedPods } });
const statusOf = (r: BudgetResult): policyV1.PodDisruptionBudgetStatus => {
  assert.ok("status" in r, JSON.stringify(r));
  return r.status;
};
const counts = (s: policyV1.PodDisruptionBudgetStatus) => [s.expectedPods, s.desiredHealthy, s.currentHealthy, s.disruptionsAllowed];

test("minAvailable 2 over 3 ready pods allows one disruption; the condition says SufficientPods", () => {
  const s = statusOf(computeBudget({ pdb: budget({ minAvailable: "2" }), pods: [pod("a", true), pod("b", true), pod("c", true)], expectedFromControllers: () => 3, now }));
  assert.deepEqual(counts(s), [3, 2, 3, 1]);
  assert.equal(s.observedGeneration, 3);
  assert.deepEqual([s.conditions[0]?.type, s.conditions[0]?.status, s.conditions[0]?.reason], ["DisruptionAllowed", "True", "SufficientPods"]);
});

test("unready and terminating pods are not healthy: no disruption allowed, InsufficientPods", () => {
  const s = statusOf(computeBudget({ pdb: budget({ minAvailable: "2" }), pods: [pod("a", true), pod("b", false), pod("c", true, true)], expectedFromControllers: () => 3, now }));
  assert.deepEqual(counts(s), [3, 2, 1, 0]);
  assert.equal(s.conditions[0]?.reason, "InsufficientPods");
});

test("maxUnavailable and percentages are taken against the controllers' replicas (rounded up)", () => {
  const pods = [pod("a", true), pod("b", true), pod("c", true), pod("d", true)];
  assert.deepEqual(counts(statusOf(computeBudget({ pdb: budget({ maxUnavailable: "1" }), pods, expectedFromControllers: () => 5, now }))), [5, 4, 4, 0]);
  assert.deepEqual(counts(statusOf(computeBudget({ pdb: budget({ minAvailable: "50%" }), pods, expectedFromControllers: () => 5, now }))), [5, 3, 4, 1]);
  assert.deepEqual(counts(statusOf(computeBudget({ pdb: budget({ maxUnavailable: "25%" }), pods, expectedFromControllers: () => 4, now }))), [4, 3, 4, 1]);
  const failed = computeBudget({ pdb: budget({ maxUnavailable: "1" }), pods, expectedFromControllers: () => 'found no controller ref for pod "a"', now });
  assert.deepEqual(failed, { failure: 'found no controller ref for pod "a"' });
});

test("a pod evicted but not yet seen deleted is not healthy until the deletion timeout, then counts again", () => {
  const pods = [pod("a", true), pod("b", true), pod("c", true)];
  const recent = new Date(now.getTime() - 30_000).toISOString();
  const r = computeBudget({ pdb: budget({ minAvailable: "2" }, { a: recent }), pods, expectedFromControllers: () => 3, now });
  const s = statusOf(r);
  assert.deepEqual(counts(s), [3, 2, 2, 0]);
  assert.deepEqual(Object.keys(s.disruptedPods), ["a"]);
  assert.ok("recheckAfterMs" in r && r.recheckAfterMs === DELETION_TIMEOUT_MS - 30_000);
  const stale = new Date(now.getTime() - DELETION_TIMEOUT_MS - 1000).toISOString();
  const later = statusOf(computeBudget({ pdb: budget({ minAvailable: "2" }, { a: stale }), pods, expectedFromControllers: () => 3, now }));
  assert.deepEqual(counts(later), [3, 2, 3, 1]);
  assert.deepEqual(later.disruptedPods, {});
});
