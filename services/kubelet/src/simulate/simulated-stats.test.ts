// Simulated usage: pods use what their annotations say, and the CPU counter advances at that rate between Summaries.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Pod } from "@kubeplane/api";
import { SIMULATED_CPU_USAGE_ANNOTATION, SIMULATED_MEMORY_USAGE_ANNOTATION, SimulatedUsage, simulatedPodUsage } from "./simulated-stats.js";

const pod = (cpu: string | undefined, containers = ["a", "b"]): coreV1Pod.Pod =>
  coreV1Pod.Pod.fromPartial({
    metadata: { name: "web", namespace: "ns", uid: "u1", annotations: { ...(cpu ? { [SIMULATED_CPU_USAGE_ANNOTATION]: cpu } : {}), [SIMULATED_MEMORY_USAGE_ANNOTATION]: "64Mi" } },
    spec: { containers: containers.map((name) => ({ name })) },
  });

test("annotations give the pod's usage; missing or unreadable ones are 0", () => {
  assert.deepEqual(simulatedPodUsage(pod("250m")), { nanoCores: 250e6, workingSetBytes: 64 * 1024 * 1024 });
  assert.equal(simulatedPodUsage(pod(undefined)).nanoCores, 0);
  assert.equal(simulatedPodUsage(pod("lots")).nanoCores, 0);
});

test("the cumulative counter advances at the rate in force, split over the containers, and the node sums its pods", () => {
  let now = 0;
  const usage = new SimulatedUsage(() => now);
  const first = usage.summary("n1", [pod("200m")]);
  assert.equal(first.pods[0]!.containers[0]!.cpu!.usageNanoCores, 100e6);
  assert.equal(first.pods[0]!.containers[0]!.cpu!.usageCoreNanoSeconds, 0);
  now = 10_000;
  const second = usage.summary("n1", [pod("0")]);
  // 10 s at 100m per container: 1 core-second each, 2 for the pod and the node.
  assert.equal(second.pods[0]!.containers[1]!.cpu!.usageCoreNanoSeconds, 1e9);
  assert.equal(second.pods[0]!.cpu!.usageCoreNanoSeconds, 2e9);
  assert.equal(second.node!.cpu!.usageCoreNanoSeconds, 2e9);
  assert.equal(second.node!.memory!.workingSetBytes, 64 * 1024 * 1024);
  now = 20_000;
  assert.equal(usage.summary("n1", [pod("0")]).pods[0]!.cpu!.usageCoreNanoSeconds, 2e9);
});
