// The metrics API's usage arithmetic: CPU rates over the scrape window, restarts, incomplete pods, the objects' fields.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Pod, kubeletV1 } from "@kubeplane/api";
import { cpuRate, goDuration, podMetrics, usageFromSummary, type CpuCounter } from "./usage.js";

const at = (ms: number): string => new Date(ms).toISOString();

function summary(ms: number, podCpu: number, opts: { instant?: number; withoutCpu?: boolean } = {}): kubeletV1.StatsResponse {
  const cpu = opts.withoutCpu ? undefined : { time: at(ms), usageCoreNanoSeconds: podCpu, usageNanoCores: opts.instant };
  return kubeletV1.StatsResponse.fromPartial({
    node: { nodeName: "n1", cpu: { time: at(ms), usageCoreNanoSeconds: podCpu * 2, usageNanoCores: opts.instant }, memory: { workingSetBytes: 4 << 20 } },
    pods: [{ podRef: { name: "web", namespace: "ns", uid: "u1" }, containers: [{ name: "app", cpu, memory: { workingSetBytes: 3 << 20 } }] }],
  });
}

test("cpuRate is the counter's increase per second, undefined without history or after a restart", () => {
  assert.equal(cpuRate(undefined, { timeMs: 1000, coreNanoSeconds: 5e9 }), undefined);
  assert.equal(cpuRate({ timeMs: 0, coreNanoSeconds: 0 }, { timeMs: 10_000, coreNanoSeconds: 5e9 }), 5e8);
  assert.equal(cpuRate({ timeMs: 0, coreNanoSeconds: 9e9 }, { timeMs: 10_000, coreNanoSeconds: 1e9 }), undefined);
  assert.equal(cpuRate({ timeMs: 10_000, coreNanoSeconds: 0 }, { timeMs: 10_000, coreNanoSeconds: 1e9 }), undefined);
});

test("the first scrape uses the kubelet's instant usage; the next one the rate over the window between scrapes", () => {
  const counters = new Map<string, CpuCounter>();
  const first = usageFromSummary("n1", summary(0, 0, { instant: 7e8 }), counters, 0, 15_000);
  assert.equal(first.pods.get("u1")?.get("app")?.nanoCores, 7e8);
  assert.equal(first.windowMs, 15_000);
  // 2.5 core-seconds in 10 s: 250m, whatever the kubelet's instant value says.
  const second = usageFromSummary("n1", summary(10_000, 2.5e9, { instant: 9e8 }), counters, 10_000, 15_000);
  assert.equal(second.pods.get("u1")?.get("app")?.nanoCores, 2.5e8);
  assert.equal(second.node?.nanoCores, 5e8);
  assert.equal(second.windowMs, 10_000);
  assert.equal(goDuration(second.windowMs), "10s");
});

test("a pod with a container without CPU figures has no metrics (as metrics-server)", () => {
  const usage = usageFromSummary("n1", summary(0, 0, { withoutCpu: true }), new Map(), 0, 15_000);
  assert.equal(usage.pods.size, 0);
});

test("PodMetrics carry the pod's name, namespace and labels, cpu in nanocores and memory in Ki", () => {
  const counters = new Map<string, CpuCounter>();
  usageFromSummary("n1", summary(0, 0), counters, 0, 15_000);
  const usage = usageFromSummary("n1", summary(15_000, 3e9), counters, 15_000, 15_000);
  const pod = coreV1Pod.Pod.fromPartial({ metadata: { name: "web", namespace: "ns", uid: "u1", labels: { app: "web" } }, spec: { containers: [{ name: "app" }] } });
  const m = podMetrics(pod, usage, new Date(20_000));
  assert.deepEqual(
    { name: m?.metadata?.name, namespace: m?.metadata?.namespace, labels: m?.metadata?.labels, window: m?.window, timestamp: m?.timestamp, containers: m?.containers },
    { name: "web", namespace: "ns", labels: { app: "web" }, window: "15s", timestamp: "1970-01-01T00:00:15Z", containers: [{ name: "app", usage: { cpu: "200000000n", memory: "3072Ki" } }] },
  );
  assert.equal(podMetrics(coreV1Pod.Pod.fromPartial({ metadata: { uid: "other" } }), usage, new Date()), undefined);
});
