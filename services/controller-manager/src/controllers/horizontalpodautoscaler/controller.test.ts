// The HPA controller's settings: the tolerance flag and behavior's per-direction tolerances.
import assert from "node:assert/strict";
import { test } from "node:test";
import { autoscalingV2 } from "@kubeplane/api";
import { parseTolerance, tolerancesOf } from "./controller.js";

test("--horizontal-pod-autoscaler-tolerance is a number ≥ 0", () => {
  assert.equal(parseTolerance("0.1"), 0.1);
  assert.throws(() => parseTolerance("-1"), RangeError);
  assert.throws(() => parseTolerance("ten %"), RangeError);
});

test("behavior's tolerance (a quantity) overrides the controller's per direction", () => {
  const hpa = autoscalingV2.HorizontalPodAutoscaler.fromPartial({ spec: { behavior: { scaleUp: { tolerance: "50m", policies: [] }, scaleDown: { policies: [] } } } });
  assert.deepEqual(tolerancesOf(hpa, { scaleUp: 0.1, scaleDown: 0.1 }), { scaleUp: 0.05, scaleDown: 0.1 });
  assert.deepEqual(tolerancesOf(autoscalingV2.HorizontalPodAutoscaler.fromPartial({}), { scaleUp: 0.2, scaleDown: 0.3 }), { scaleUp: 0.2, scaleDown: 0.3 });
});
