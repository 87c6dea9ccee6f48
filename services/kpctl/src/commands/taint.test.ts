// Unit tests of kpctl taint's argument syntax and how changes apply to a node's taints.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyTaints, parseTaintArgs } from "./taint.js";

test("taint specs: key=value:Effect and key:Effect add, key:Effect- and key- remove; bad effects are refused", () => {
  assert.deepEqual(parseTaintArgs(["a=1:NoSchedule", "b:NoExecute", "c:PreferNoSchedule-", "d-"]), {
    add: [{ key: "a", value: "1", effect: "NoSchedule" }, { key: "b", effect: "NoExecute" }],
    remove: [{ key: "c", effect: "PreferNoSchedule" }, { key: "d" }],
  });
  assert.throws(() => parseTaintArgs(["a=1:Sometimes"]), /invalid taint effect: Sometimes/);
  assert.throws(() => parseTaintArgs(["a=1"]), /unknown taint spec/);
});

test("applying: NoExecute taints get timeAdded, an existing key and effect needs --overwrite, removing a missing taint fails", () => {
  const now = "2026-01-01T00:00:00Z";
  const { taints } = applyTaints("n", [{ key: "a", value: "1", effect: "NoSchedule" }], parseTaintArgs(["b:NoExecute"]), false, now);
  assert.deepEqual(taints, [{ key: "a", value: "1", effect: "NoSchedule" }, { key: "b", effect: "NoExecute", timeAdded: now }]);
  assert.throws(() => applyTaints("n", taints, parseTaintArgs(["a=2:NoSchedule"]), false, now), /node n already has a taint\(s\) with same effect\(s\) and --overwrite is false/);
  assert.deepEqual(applyTaints("n", taints, parseTaintArgs(["a=2:NoSchedule"]), true, now).taints[0], { key: "a", value: "2", effect: "NoSchedule" });
  assert.deepEqual(applyTaints("n", taints, parseTaintArgs(["a-"]), false, now), { taints: [{ key: "b", effect: "NoExecute", timeAdded: now }], removed: true });
  assert.throws(() => applyTaints("n", taints, parseTaintArgs(["zzz-"]), false, now), /taint "zzz" not found/);
});
