// Opportunistic batching: the pod signature, and pods of one signature served from the previous cycle's scored nodes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coreV1Node, coreV1Pod } from "@kubeplane/api";
import type { PodBindingRequest } from "@kubeplane/client";
import { waitFor } from "@kubeplane/testing";
import { Scheduler } from "../scheduler.js";
import type { Node, Pod } from "./interface.js";
import { podSignature } from "./pod-signature.js";
import { defaultConfiguration } from "./profile.js";

function node(name: string, cpu: string): Node {
  return coreV1Node.Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: { name }, status: { allocatable: { cpu, memory: "8Gi", pods: "110" } } });
}

function pod(name: string, cpu: string, spec: Partial<coreV1Pod.PodSpec> = {}): Pod {
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", uid: `uid-${name}`, labels: { app: "web" } },
    spec: { schedulerName: "default-scheduler", containers: [{ name: "c", image: "nginx", resources: { requests: { cpu } } }], ...spec },
    status: { phase: "Pending" },
  });
}

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe("podSignature", () => {
  it("is equal for pods of one template and differs when a scheduling input differs", () => {
    assert.equal(podSignature(pod("a", "1")), podSignature(pod("b", "1")));
    assert.notEqual(podSignature(pod("a", "1")), podSignature(pod("a", "2")));
    assert.notEqual(podSignature(pod("a", "1")), podSignature(pod("a", "1", { nodeSelector: { zone: "a" } })));
    assert.notEqual(podSignature(pod("a", "1")), podSignature(pod("a", "1", { tolerations: [{ key: "k", operator: "Exists", effect: "NoSchedule", value: "" }] })));
  });

  it("is undefined when placement depends on other pods or objects", () => {
    const term = { labelSelector: { matchLabels: { app: "web" } }, topologyKey: "kubernetes.io/hostname" };
    assert.equal(podSignature(pod("a", "1", { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } } as never)), undefined);
    assert.equal(podSignature(pod("a", "1", { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" }] } as never)), undefined);
    assert.equal(podSignature(pod("a", "1", { volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data", readOnly: false } }] } as never)), undefined);
  });
});

describe("opportunistic batching in the scheduling loop", () => {
  it("serves pods of one signature from the last cycle's nodes, re-filtering the node just taken", async () => {
    const binds: string[] = [];
    const client = {
      bind: async () => undefined,
      bindPods: async (bindings: readonly PodBindingRequest[]) => bindings.map((b) => void binds.push(b.node)),
      create: async (_k: unknown, e: unknown) => e,
      updateStatus: async (_k: unknown, p: unknown) => p,
    } as never;
    const s = new Scheduler({ client, configuration: defaultConfiguration(), logger: quiet });
    // Room for one pod a node: a node reused without being filtered again would get two.
    for (const n of ["n1", "n2", "n3", "n4"]) s.onNodeAdd(node(n, "1"));
    for (const p of ["p1", "p2", "p3", "p4"]) s.onPodAdd(pod(p, "1"));
    const stop = new AbortController();
    const running = s.run(stop.signal);
    try {
      await waitFor(() => (s.scheduledCount === 4 ? true : undefined), { timeoutMs: 20_000, message: "4 pods bound" });
    } finally {
      stop.abort();
      await running;
    }
    assert.deepEqual([...binds].sort(), ["n1", "n2", "n3", "n4"]);
    assert.equal(s.batching.misses, 1, "only the first pod ran a full cycle");
    assert.equal(s.batching.hits, 3);
  });

  it("gives a pod a full cycle once the best node left scores below the batch's best", async () => {
    const client = {
      bind: async () => undefined,
      bindPods: async (bindings: readonly PodBindingRequest[]) => bindings.map(() => undefined),
      create: async (_k: unknown, e: unknown) => e,
      updateStatus: async (_k: unknown, p: unknown) => p,
    } as never;
    const s = new Scheduler({ client, configuration: defaultConfiguration(), logger: quiet });
    // Two equal nodes with room for many pods: after one pod on each, both score below an empty node.
    for (const n of ["n1", "n2"]) s.onNodeAdd(node(n, "8"));
    for (const p of ["p1", "p2", "p3"]) s.onPodAdd(pod(p, "1"));
    const stop = new AbortController();
    const running = s.run(stop.signal);
    try {
      await waitFor(() => (s.scheduledCount === 3 ? true : undefined), { timeoutMs: 20_000, message: "3 pods bound" });
    } finally {
      stop.abort();
      await running;
    }
    assert.equal(s.batching.hits, 1, "the second pod takes the other empty node from the batch");
    assert.equal(s.batching.misses, 2, "the third finds both nodes worse than the batch's best: full cycle");
  });
});
