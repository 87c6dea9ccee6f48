// Reading PodMetrics for the HPA: a pod's usage summed over its containers, or one container's; Go durations.
import assert from "node:assert/strict";
import { test } from "node:test";
import { metricsV1beta1 } from "@kubeplane/api";
import { parseGoDuration, podMetricValue } from "./metrics-source.js";

const m = metricsV1beta1.PodMetrics.fromPartial({
  metadata: { name: "web" },
  timestamp: "2026-12-06T12:00:00Z",
  window: "1m30s",
  containers: [
    { name: "app", usage: { cpu: "250m", memory: "64Mi" } },
    { name: "sidecar", usage: { cpu: "5000000n" } },
  ],
});

test("a pod's usage is its containers' sum in thousandths; a container without the resource leaves the pod out", () => {
  assert.deepEqual(podMetricValue(m, "cpu"), { value: 255, timestampMs: Date.parse("2026-12-06T12:00:00Z"), windowMs: 90_000 });
  assert.equal(podMetricValue(m, "memory"), undefined);
  assert.equal(podMetricValue(m, "memory", "app")?.value, 64 * 1024 * 1024 * 1000);
  assert.equal(podMetricValue(m, "cpu", "nope"), undefined);
});

test("Go durations as metav1.Duration prints them", () => {
  assert.equal(parseGoDuration("15s"), 15_000);
  assert.equal(parseGoDuration("10.5s"), 10_500);
  assert.equal(parseGoDuration("1h2m3s"), 3_723_000);
  assert.equal(parseGoDuration("250ms"), 250);
});
