// Unit tests of toleration matching and the taint manager's eviction decision.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { coreV1Node, coreV1Pod } from "@kubeplane/api";
import { TAINT_NOT_READY, TAINT_UNREACHABLE } from "./taints.js";
import { evictionDecision, toleratesTaint, withDefaultTolerations } from "./tolerations.js";

type Toleration = coreV1Pod.Toleration;

const unreachable: coreV1Node.Taint = { key: TAINT_UNREACHABLE, value: "", effect: "NoExecute", timeAdded: "2026-01-01T00:00:00Z" };
const startMs = Date.parse(unreachable.timeAdded);
const start = (): number => startMs;
const tol = (t: Partial<Toleration>): Toleration => ({ key: "", operator: "", value: "", effect: "", ...t });

test("toleratesTaint matches on key, effect, and Exists or an equal value", () => {
  assert.equal(toleratesTaint(tol({ key: TAINT_UNREACHABLE, operator: "Exists" }), unreachable), true);
  assert.equal(toleratesTaint(tol({ operator: "Exists" }), unreachable), true, "empty key with Exists tolerates everything");
  assert.equal(toleratesTaint(tol({ key: TAINT_UNREACHABLE, operator: "Exists", effect: "NoSchedule" }), unreachable), false);
  assert.equal(toleratesTaint(tol({ key: TAINT_NOT_READY, operator: "Exists" }), unreachable), false);
  assert.equal(toleratesTaint(tol({ key: "k", value: "v" }), { ...unreachable, key: "k", value: "v" }), true);
  assert.equal(toleratesTaint(tol({ key: "k", operator: "Equal", value: "w" }), { ...unreachable, key: "k", value: "v" }), false);
});

test("default tolerations are added only for keys the pod does not tolerate already", () => {
  const own = tol({ key: TAINT_UNREACHABLE, operator: "Exists", effect: "NoExecute" });
  const out = withDefaultTolerations([own], 300);
  assert.deepEqual(out, [own, { key: TAINT_NOT_READY, operator: "Exists", value: "", effect: "NoExecute", tolerationSeconds: 300 }]);
  assert.equal(withDefaultTolerations([tol({ operator: "Exists" })], 300).length, 1, "a tolerate-everything pod gets none");
  assert.equal(withDefaultTolerations([], 300).length, 2);
});

test("a pod without a matching toleration is evicted at once", () => {
  assert.deepEqual(evictionDecision([tol({ key: TAINT_NOT_READY, operator: "Exists" })], [unreachable], start), { evict: "now" });
});

test("a matching toleration with tolerationSeconds evicts that long after the taint was added", () => {
  const decision = evictionDecision(withDefaultTolerations([], 300), [unreachable], start);
  assert.deepEqual(decision, { evict: "at", atMs: startMs + 300_000 });
  assert.deepEqual(evictionDecision([tol({ key: TAINT_UNREACHABLE, operator: "Exists", tolerationSeconds: 0 })], [unreachable], start), { evict: "now" });
});

test("a matching toleration without tolerationSeconds never evicts", () => {
  assert.deepEqual(evictionDecision([tol({ key: TAINT_UNREACHABLE, operator: "Exists", effect: "NoExecute" })], [unreachable], start), { evict: "never" });
  assert.deepEqual(evictionDecision([], [], start), { evict: "never" });
});

test("the earliest deadline over all taints wins, and one untolerated taint evicts at once", () => {
  const other = { key: "maintenance", value: "", effect: "NoExecute", timeAdded: "" };
  const tolerations = [tol({ key: TAINT_UNREACHABLE, operator: "Exists", tolerationSeconds: 60 }), tol({ key: "maintenance", operator: "Exists", tolerationSeconds: 10 })];
  assert.deepEqual(evictionDecision(tolerations, [unreachable, other], start), { evict: "at", atMs: startMs + 10_000 });
  assert.deepEqual(evictionDecision(tolerations.slice(0, 1), [unreachable, other], start), { evict: "now" });
});
