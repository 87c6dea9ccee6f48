// Unit tests of the health-taint math: which taints a node's readiness calls for, kept, swapped or removed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { TAINT_NOT_READY, TAINT_UNREACHABLE, noExecuteTaints, reconcileHealthTaints } from "./taints.js";

const T0 = "2026-01-01T00:00:00Z";
const T1 = "2026-01-01T00:01:00Z";
const custom = { key: "dedicated", value: "gpu", effect: "NoSchedule", timeAdded: "" };

test("an unreachable node gets unreachable NoSchedule and NoExecute, NoExecute stamped", () => {
  const taints = reconcileHealthTaints([custom], "unreachable", T0);
  assert.deepEqual(taints, [
    custom,
    { key: TAINT_UNREACHABLE, value: "", effect: "NoSchedule", timeAdded: "" },
    { key: TAINT_UNREACHABLE, value: "", effect: "NoExecute", timeAdded: T0 },
  ]);
});

test("taints already in place are left alone (no write, timeAdded kept)", () => {
  const current = reconcileHealthTaints([], "unreachable", T0)!;
  assert.equal(reconcileHealthTaints(current, "unreachable", T1), undefined);
});

test("a node going from unreachable to not-ready swaps the taints", () => {
  const current = reconcileHealthTaints([custom], "unreachable", T0)!;
  const next = reconcileHealthTaints(current, "not-ready", T1)!;
  assert.deepEqual(next.map((t) => `${t.key}:${t.effect}`), ["dedicated:NoSchedule", `${TAINT_NOT_READY}:NoSchedule`, `${TAINT_NOT_READY}:NoExecute`]);
  assert.equal(next.find((t) => t.effect === "NoExecute")!.timeAdded, T1);
});

test("a ready node loses its health taints and keeps the others", () => {
  const current = reconcileHealthTaints([custom], "not-ready", T0)!;
  assert.deepEqual(reconcileHealthTaints(current, "ready", T1), [custom]);
  assert.equal(reconcileHealthTaints([custom], "ready", T1), undefined);
});

test("a node that never reported keeps whatever taints it has", () => {
  assert.equal(reconcileHealthTaints([custom], "unreported", T0), undefined);
});

test("noExecuteTaints picks the evicting taints", () => {
  const taints = reconcileHealthTaints([custom], "unreachable", T0)!;
  assert.deepEqual(noExecuteTaints(taints).map((t) => t.key), [TAINT_UNREACHABLE]);
});
