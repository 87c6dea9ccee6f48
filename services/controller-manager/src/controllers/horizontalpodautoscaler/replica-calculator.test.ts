// The HPA's replica computation on Kubernetes' ReplicaCalculator cases (replica_calculator_test.go): two containers a pod, as upstream's fixtures.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { coreV1Pod } from "@kubeplane/api";
import { resourceAverageValueReplicas, resourceUtilizationReplicas, ReplicaCalculationError, type PodMetric, type ReplicaCalculatorOptions } from "./replica-calculator.js";

const NOW = Date.parse("2026-12-06T12:00:00Z");
const LONG_AGO = new Date(NOW - 3_600_000).toISOString();
const opts: ReplicaCalculatorOptions = { tolerances: { scaleUp: 0.1, scaleDown: 0.1 }, cpuInitializationPeriodMs: 300_000, delayOfInitialReadinessStatusMs: 30_000 };

interface Case {
  name: string;
  current: number;
  requests: string[];
  /** Each pod's per-container level in millicores (both containers use it), by pod index; shorter than requests: the rest have no metrics. */
  levels: number[];
  readiness?: ("True" | "False")[];
  phases?: string[];
  deleting?: boolean[];
  target: number;
  expected: number;
  utilization?: number;
  raw?: number;
  error?: RegExp;
}

function fixture(c: Case): { pods: coreV1Pod.Pod[]; metrics: Map<string, PodMetric> } {
  const count = Math.max(c.current, c.phases?.length ?? 0);
  const pods = Array.from({ length: count }, (_, i) =>
    coreV1Pod.Pod.fromPartial({
      metadata: { name: `test-pod-${i}`, namespace: "ns", labels: { name: "test-pod" }, deletionTimestamp: c.deleting?.[i] ? LONG_AGO : "" },
      spec: { containers: ["container1", "container2"].map((name) => ({ name, resources: { requests: c.requests[i] ? { cpu: c.requests[i] } : {} } })) },
      status: {
        phase: c.phases?.[i] ?? "Running",
        startTime: LONG_AGO,
        conditions: [{ type: "Ready", status: c.readiness?.[i] ?? "True", lastTransitionTime: LONG_AGO }],
      },
    }),
  );
  const metrics = new Map(c.levels.map((level, i) => [`test-pod-${i}`, { value: 2 * level, timestampMs: NOW - 1000, windowMs: 60_000 }]));
  return { pods, metrics };
}

const cases: Case[] = [
  { name: "ScaleUp", current: 3, requests: ["1.0", "1.0", "1.0"], levels: [300, 500, 700], target: 30, expected: 5, utilization: 50, raw: 1000 },
  { name: "ScaleUpUnreadyLessScale", current: 3, requests: ["1.0", "1.0", "1.0"], levels: [300, 500, 700], readiness: ["False", "True", "True"], target: 30, expected: 4, utilization: 60, raw: 1200 },
  { name: "ScaleUpUnreadyNoScale", current: 3, requests: ["1.0", "1.0", "1.0"], levels: [400, 500, 700], readiness: ["True", "False", "False"], target: 30, expected: 3, utilization: 40, raw: 800 },
  {
    name: "ScaleUpIgnoresFailedPods",
    current: 2,
    requests: ["1.0", "1.0", "1.0", "1.0"],
    levels: [500, 700, 100, 100],
    readiness: ["True", "True", "False", "False"],
    phases: ["Running", "Running", "Failed", "Failed"],
    target: 30,
    expected: 4,
    utilization: 60,
    raw: 1200,
  },
  {
    name: "ScaleUpIgnoresDeletionPods",
    current: 2,
    requests: ["1.0", "1.0", "1.0", "1.0"],
    levels: [500, 700, 100, 100],
    phases: ["Running", "Running", "Running", "Running"],
    deleting: [false, false, true, true],
    target: 30,
    expected: 4,
    utilization: 60,
    raw: 1200,
  },
  { name: "ScaleDown", current: 5, requests: ["1.0", "1.0", "1.0", "1.0", "1.0"], levels: [100, 300, 500, 250, 250], target: 50, expected: 3, utilization: 28, raw: 560 },
  {
    name: "ScaleDownIncludeUnreadyPods",
    current: 5,
    requests: ["1.0", "1.0", "1.0", "1.0", "1.0"],
    levels: [100, 300, 500, 250, 250],
    readiness: ["True", "True", "True", "False", "False"],
    target: 50,
    expected: 2,
    utilization: 30,
    raw: 600,
  },
  { name: "Tolerance", current: 3, requests: ["0.9", "1.0", "1.1"], levels: [1010, 1030, 1020], target: 100, expected: 3, utilization: 102, raw: 2040 },
  { name: "MissingMetrics (scale-down counts missing pods at their request)", current: 4, requests: ["1.0", "1.0", "1.0", "1.0"], levels: [400, 95], target: 100, expected: 3, utilization: 24, raw: 495 },
  { name: "MissingMetricsScaleUp (missing pods count as idle)", current: 4, requests: ["1.0", "1.0", "1.0", "1.0"], levels: [2000, 2000], target: 100, expected: 4, utilization: 200, raw: 4000 },
  { name: "a container without a request is an error", current: 1, requests: [""], levels: [100], target: 50, expected: 0, error: /missing request for cpu in container container1 of Pod test-pod-0/ },
];

describe("resource utilization replicas (Kubernetes' cases)", () => {
  for (const c of cases) {
    test(c.name, () => {
      const { pods, metrics } = fixture(c);
      const run = (): ReturnType<typeof resourceUtilizationReplicas> =>
        resourceUtilizationReplicas({ currentReplicas: c.current, pods, metrics, resource: "cpu", nowMs: NOW, opts, targetUtilization: c.target });
      if (c.error) {
        assert.throws(run, (err: unknown) => err instanceof ReplicaCalculationError && c.error!.test(err.message));
        return;
      }
      const r = run();
      assert.deepEqual({ replicas: r.replicas, utilization: r.utilization, raw: r.rawAverage }, { replicas: c.expected, utilization: c.utilization, raw: c.raw });
    });
  }

  test("metrics only of pods the selector does not list: no metrics returned matched known pods", () => {
    const { pods } = fixture({ name: "", current: 1, requests: ["1.0"], levels: [], target: 100, expected: 0 });
    const metrics = new Map([["an-older-pod-name", { value: 200, timestampMs: NOW, windowMs: 60_000 }]]);
    assert.throws(() => resourceUtilizationReplicas({ currentReplicas: 1, pods, metrics, resource: "cpu", nowMs: NOW, opts, targetUtilization: 100 }), /no metrics returned matched known pods/);
  });

  test("a pod started within the CPU initialization period counts only once ready for a whole window", () => {
    const c: Case = { name: "", current: 2, requests: ["1.0", "1.0"], levels: [1000, 1000], target: 50, expected: 0 };
    const { pods, metrics } = fixture(c);
    // pod 1 started a minute ago and became ready 10 s before a 60 s window ended: its sample covers its start-up.
    pods[1]!.status!.startTime = new Date(NOW - 60_000).toISOString();
    pods[1]!.status!.conditions[0]!.lastTransitionTime = new Date(NOW - 11_000).toISOString();
    const r = resourceUtilizationReplicas({ currentReplicas: 2, pods, metrics, resource: "cpu", nowMs: NOW, opts, targetUtilization: 50 });
    // Only pod 0 is trusted (200 % of request); pod 1 counts as idle on the way up: (2000 + 0) / 4000 = 50 % → no change.
    assert.equal(r.utilization, 100);
    assert.equal(r.replicas, 2);
  });

  test("no pods at all is an error", () => {
    assert.throws(() => resourceUtilizationReplicas({ currentReplicas: 1, pods: [], metrics: new Map(), resource: "cpu", nowMs: NOW, opts, targetUtilization: 50 }), /no pods returned by selector/);
  });
});

describe("resource average value replicas", () => {
  test("memory over an AverageValue target scales by the average per pod", () => {
    const Mi = 1024 * 1024 * 1000; // thousandths of a byte
    const pods = ["a", "b"].map((name) =>
      coreV1Pod.Pod.fromPartial({ metadata: { name }, spec: { containers: [{ name: "c" }] }, status: { phase: "Running", startTime: LONG_AGO, conditions: [{ type: "Ready", status: "True", lastTransitionTime: LONG_AGO }] } }),
    );
    const metrics = new Map([
      ["a", { value: 200 * Mi, timestampMs: NOW, windowMs: 15_000 }],
      ["b", { value: 100 * Mi, timestampMs: NOW, windowMs: 15_000 }],
    ]);
    const r = resourceAverageValueReplicas({ currentReplicas: 2, pods, metrics, resource: "memory", nowMs: NOW, opts, targetAverage: 100 * Mi });
    assert.deepEqual({ replicas: r.replicas, raw: r.rawAverage }, { replicas: 3, raw: 150 * Mi });
  });
});

describe("container resource replicas", () => {
  test("only the named container's usage and request count (its sidecar's idle request does not dilute it)", () => {
    const pods = ["a", "b"].map((name) =>
      coreV1Pod.Pod.fromPartial({
        metadata: { name },
        spec: { containers: [{ name: "app", resources: { requests: { cpu: "100m" } } }, { name: "sidecar", resources: { requests: { cpu: "900m" } } }] },
        status: { phase: "Running", startTime: LONG_AGO, conditions: [{ type: "Ready", status: "True", lastTransitionTime: LONG_AGO }] },
      }),
    );
    // The app containers use 100m each: 100 % of their request, but 10 % of the pods'.
    const metrics = new Map(["a", "b"].map((n) => [n, { value: 100, timestampMs: NOW, windowMs: 15_000 }]));
    const container = resourceUtilizationReplicas({ currentReplicas: 2, pods, metrics, resource: "cpu", container: "app", nowMs: NOW, opts, targetUtilization: 50 });
    assert.deepEqual([container.replicas, container.utilization], [4, 100]);
  });
});
