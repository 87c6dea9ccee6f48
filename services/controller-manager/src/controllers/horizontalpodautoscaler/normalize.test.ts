// Stabilization windows, min/max bounds and scaling policies, on the cases of Kubernetes' horizontal_test.go.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { autoscalingV2 } from "@kubeplane/api";
import { boundWithoutBehavior, ScaleHistory, scaleDownLimitWithRules, scaleUpLimitWithRules } from "./normalize.js";

type Rules = autoscalingV2.HPAScalingRules;
const T0 = 1_000_000_000;
const rules = (selectPolicy: string, policies: Rules["policies"], stabilizationWindowSeconds?: number): Rules => ({ selectPolicy, policies, ...(stabilizationWindowSeconds !== undefined ? { stabilizationWindowSeconds } : {}) });
const event = (change: number, agoSeconds: number) => ({ change, atMs: T0 - agoSeconds * 1000, outdated: false });

describe("scale-up limit of the policies", () => {
  const both: Rules["policies"] = [
    { type: "Pods", value: 4, periodSeconds: 60 },
    { type: "Percent", value: 100, periodSeconds: 60 },
  ];
  for (const [name, current, ups, policy, expected] of [
    ["Max picks the larger change", 10, [], "Max", 20],
    ["Min picks the smaller change", 10, [], "Min", 14],
    ["Disabled allows none", 10, [], "Disabled", 10],
    ["changes within the period count from the period's start", 15, [event(5, 30)], "Max", 20],
    ["changes older than the period are forgotten", 15, [event(5, 90)], "Max", 30],
    ["one replica: Pods (+4) beats Percent (x2) under Max", 1, [], "Max", 5],
  ] as const) {
    test(name, () => assert.equal(scaleUpLimitWithRules(current, ups, [], rules(policy, both), T0), expected));
  }
  test("Percent alone rounds up so that a small target can grow", () => {
    assert.equal(scaleUpLimitWithRules(1, [], [], rules("Max", [{ type: "Percent", value: 10, periodSeconds: 60 }]), T0), 2);
  });
});

describe("scale-down limit of the policies", () => {
  const both: Rules["policies"] = [
    { type: "Pods", value: 3, periodSeconds: 60 },
    { type: "Percent", value: 50, periodSeconds: 60 },
  ];
  for (const [name, current, downs, policy, expected] of [
    ["Max picks the larger change (the fewer replicas)", 10, [], "Max", 5],
    ["Min picks the smaller change", 10, [], "Min", 7],
    ["Disabled allows none", 10, [], "Disabled", 10],
    ["removals within the period count from the period's start", 7, [event(3, 10)], "Max", 5],
  ] as const) {
    test(name, () => assert.equal(scaleDownLimitWithRules(current, [], downs, rules(policy, both), T0), expected));
  }
});

describe("without behavior", () => {
  test("bounds: at most double (or 4), at least minReplicas, at most maxReplicas, with upstream's reasons", () => {
    assert.deepEqual(boundWithoutBehavior(1, 10, 1, 100), { replicas: 4, reason: "ScaleUpLimit", message: "the desired replica count is increasing faster than the maximum scale rate" });
    assert.deepEqual(boundWithoutBehavior(5, 20, 1, 8).replicas, 8);
    assert.equal(boundWithoutBehavior(5, 20, 1, 8).reason, "TooManyReplicas");
    assert.equal(boundWithoutBehavior(5, 0, 2, 8).reason, "TooFewReplicas");
    assert.equal(boundWithoutBehavior(5, 6, 2, 8).reason, "DesiredWithinRange");
  });

  test("scale-down follows the highest recommendation of the downscale stabilization window", () => {
    const h = new ScaleHistory(300_000);
    h.recordInitial("ns/web", 10, T0);
    const early = h.normalize("ns/web", 10, 3, 1, 20, T0 + 60_000);
    assert.equal(early.replicas, 10);
    assert.equal(early.ableToScale.reason, "ScaleDownStabilized");
    // Once the 10 left the window the lower recommendations apply.
    const late = h.normalize("ns/web", 10, 3, 1, 20, T0 + 301_000);
    assert.equal(late.replicas, 3);
    assert.equal(late.ableToScale.reason, "ReadyForNewScale");
    assert.deepEqual(late.scalingLimited, { status: "False", reason: "DesiredWithinRange", message: "the desired count is within the acceptable range" });
  });

  test("scale-up is not stabilized", () => {
    const h = new ScaleHistory(300_000);
    h.recordInitial("k", 2, T0);
    assert.equal(h.normalize("k", 2, 4, 1, 10, T0 + 1000).replicas, 4);
  });
});

describe("with behavior", () => {
  const behavior = (up: Rules, down: Rules): autoscalingV2.HorizontalPodAutoscalerBehavior => ({ scaleUp: up, scaleDown: down });
  const defaultUp = rules("Max", [{ type: "Pods", value: 4, periodSeconds: 15 }, { type: "Percent", value: 100, periodSeconds: 15 }], 0);
  const defaultDown = rules("Max", [{ type: "Percent", value: 100, periodSeconds: 15 }]);

  test("a scaleDown without a window uses the controller's downscale stabilization", () => {
    const h = new ScaleHistory(20_000);
    h.recordInitial("k", 6, T0);
    assert.equal(h.normalizeWithBehavior("k", behavior(defaultUp, defaultDown), 6, 1, 1, 10, T0 + 5000).replicas, 6);
    assert.equal(h.normalizeWithBehavior("k", behavior(defaultUp, defaultDown), 6, 1, 1, 10, T0 + 21_000).replicas, 1);
  });

  test("a scale-up window takes the lowest recent recommendation", () => {
    const h = new ScaleHistory(300_000);
    h.recordInitial("k", 2, T0);
    const up = rules("Max", defaultUp.policies, 60);
    const r = h.normalizeWithBehavior("k", behavior(up, rules("Max", defaultDown.policies, 0)), 2, 8, 1, 10, T0 + 10_000);
    assert.equal(r.replicas, 2);
    assert.equal(r.ableToScale.reason, "ScaleUpStabilized");
  });

  test("the policies limit the rate per period and say ScaleUpLimit / ScaleDownLimit", () => {
    const h = new ScaleHistory(0);
    const b = behavior(rules("Max", [{ type: "Pods", value: 2, periodSeconds: 60 }], 0), rules("Max", [{ type: "Pods", value: 1, periodSeconds: 60 }], 0));
    const first = h.normalizeWithBehavior("k", b, 2, 10, 1, 20, T0);
    assert.deepEqual([first.replicas, first.scalingLimited.status, first.scalingLimited.reason], [4, "True", "ScaleUpLimit"]);
    h.recordScale("k", b, 2, 4, T0);
    // Within the same minute the 2 pods are already used up.
    assert.equal(h.normalizeWithBehavior("k", b, 4, 10, 1, 20, T0 + 30_000).replicas, 4);
    assert.equal(h.normalizeWithBehavior("k", b, 4, 10, 1, 20, T0 + 61_000).replicas, 6);
    const down = h.normalizeWithBehavior("k", b, 6, 1, 1, 20, T0 + 200_000);
    assert.deepEqual([down.replicas, down.scalingLimited.reason], [5, "ScaleDownLimit"]);
  });

  test("min and max still bound, with TooFewReplicas / TooManyReplicas", () => {
    const h = new ScaleHistory(0);
    const b = behavior(defaultUp, rules("Max", defaultDown.policies, 0));
    assert.deepEqual([h.normalizeWithBehavior("k", b, 4, 30, 1, 6, T0).replicas, h.normalizeWithBehavior("k", b, 4, 30, 1, 6, T0).scalingLimited.reason], [6, "TooManyReplicas"]);
    const low = h.normalizeWithBehavior("k2", b, 4, 0, 2, 6, T0);
    assert.deepEqual([low.replicas, low.scalingLimited.reason], [2, "TooFewReplicas"]);
  });
});
