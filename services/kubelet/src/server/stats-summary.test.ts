// Tests of the Summary: CPU rates from two cumulative samples, per pod and container, and procfs parsing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LABELS } from "../paths.js";
import type { ContainerStats } from "../runtime/types.js";
import { parseMeminfoWorkingSet, parseProcStatCpuNanos, procNodeUsage } from "./node-usage.js";
import { StatsSummary } from "./stats-summary.js";

function stats(id: string, pod: string, container: string, attempt: number, seconds: number, cpuSeconds: number, memory: number): ContainerStats {
  return {
    id,
    metadata: { name: container, attempt },
    labels: { [LABELS.podName]: pod, [LABELS.podNamespace]: "default", [LABELS.podUid]: `uid-${pod}`, [LABELS.containerName]: container },
    timestamp: seconds * 1e9,
    cpuUsageCoreNanoSeconds: cpuSeconds * 1e9,
    memoryWorkingSetBytes: memory,
  };
}

test("usageNanoCores is the CPU time used between two samples over the time between them, summed per pod", async () => {
  let samples: ContainerStats[] = [];
  const summary = new StatsSummary({
    nodeName: "node-a",
    runtime: { listContainerStats: () => Promise.resolve(samples) },
    nodeUsage: () => Promise.resolve({ timestampNanos: 1, cpuUsageCoreNanoSeconds: 0, memoryWorkingSetBytes: 1 << 30 }),
  });
  samples = [stats("a1", "web", "app", 1, 100, 10, 100), stats("a0", "web", "app", 0, 90, 50, 7), stats("s1", "web", "sidecar", 0, 100, 1, 50)];
  const first = await summary.sample();
  assert.equal(first.pods[0]!.cpu!.usageNanoCores, undefined, "no rate before a second sample");
  assert.deepEqual(first.pods[0]!.containers.map((c) => c.name), ["app", "sidecar"], "the latest attempt of each container only");
  samples = [stats("a1", "web", "app", 1, 102, 10.5, 120), stats("s1", "web", "sidecar", 0, 102, 1.02, 60)];
  const second = await summary.sample();
  const pod = second.pods[0]!;
  assert.deepEqual(pod.podRef, { name: "web", namespace: "default", uid: "uid-web" });
  assert.equal(pod.containers[0]!.cpu!.usageNanoCores, 250_000_000);
  assert.equal(pod.containers[1]!.cpu!.usageNanoCores, 10_000_000);
  assert.equal(pod.cpu!.usageNanoCores, 260_000_000);
  assert.equal(pod.memory!.workingSetBytes, 180);
  assert.equal(second.node!.nodeName, "node-a");
  assert.equal(second.node!.memory!.workingSetBytes, 1 << 30);
});

test("procfs parsing: busy CPU time of /proc/stat, MemTotal - MemAvailable of /proc/meminfo; the real files parse", async () => {
  assert.equal(parseProcStatCpuNanos("cpu  100 20 30 5000 40 6 4 0 0 0\ncpu0 1 2 3 4\n"), 1.6e9);
  assert.equal(parseMeminfoWorkingSet("MemTotal:       2048 kB\nMemFree:         100 kB\nMemAvailable:    1024 kB\n"), 1024 * 1024);
  const usage = await procNodeUsage();
  assert.ok(usage.cpuUsageCoreNanoSeconds > 0 && usage.memoryWorkingSetBytes > 0);
});
