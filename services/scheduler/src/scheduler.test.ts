// Unit tests of the scheduling loop with a fake apiserver client: bind failures, status and events.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { apiErrors, coreV1Node, coreV1Pod, type coreV1Event } from "@kubeplane/api";
import type { ApiClient, PodBindingRequest } from "@kubeplane/client";
import { waitFor } from "@kubeplane/testing";
import type { Node, Pod } from "./framework/interface.js";
import { defaultConfiguration } from "./framework/profile.js";
import { Scheduler } from "./scheduler.js";

function node(name: string, cpu: string): Node {
  return coreV1Node.Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: { name }, status: { allocatable: { cpu, memory: "8Gi", pods: "110" } } });
}
function pod(name: string, cpu: string): Pod {
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: "default", name, uid: `uid-${name}` },
    spec: { schedulerName: "default-scheduler", containers: [{ name: "c", image: "i", resources: { requests: { cpu } } }] },
    status: { phase: "Pending" },
  });
}

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function fakeClient(opts: { failBinds?: number } = {}) {
  let failBinds = opts.failBinds ?? 0;
  /** events: created Events; eventCounts: "reason message" → the latest count written (create or count patch). */
  const calls = { binds: [] as string[], statuses: [] as Pod[], events: [] as coreV1Event.Event[], eventCounts: new Map<string, number>() };
  const bind = async (ns: string, name: string, nodeName: string): Promise<void> => {
    calls.binds.push(`${ns}/${name}->${nodeName}`);
    if (failBinds-- > 0) throw new Error("etcdserver: request timed out");
  };
  const client = {
    bind,
    // The batch call: each binding succeeds or fails on its own, as the apiserver's BindPods.
    bindPods: async (bindings: readonly PodBindingRequest[]) =>
      Promise.all(bindings.map((b) => bind(b.namespace, b.pod, b.node).then(() => undefined, (err: unknown) => apiErrors.internalError(err)))),
    updateStatus: async (_k: unknown, p: Pod) => (calls.statuses.push(p), p),
    create: async (_k: unknown, e: coreV1Event.Event) => {
      calls.events.push(e);
      calls.eventCounts.set(`${e.reason} ${e.message}`, e.count);
      return e;
    },
    // The event recorder folds a repeat into a count patch of the Event it created.
    patch: async (_k: unknown, _ns: string, name: string, patch: { count: number }) => {
      const e = calls.events.find((x) => x.metadata?.name === name)!;
      calls.eventCounts.set(`${e.reason} ${e.message}`, patch.count);
      return e;
    },
    get: async () => {
      throw new Error("not expected");
    },
  } as unknown as ApiClient;
  return { client, calls };
}

describe("scheduling loop", () => {
  it("requeues a pod whose binding failed, forgets its assumed place, and binds it on the retry", async () => {
    const { client, calls } = fakeClient({ failBinds: 1 });
    const s = new Scheduler({ client, configuration: defaultConfiguration(), logger: quiet, queue: { initialBackoffMs: 20, maxBackoffMs: 40 } });
    s.onNodeAdd(node("n1", "2"));
    s.onPodAdd(pod("p", "1"));
    const stop = new AbortController();
    const running = s.run(stop.signal);
    try {
      await waitFor(() => (calls.binds.length >= 1 && s.queue.pending().inFlight === 0 ? true : undefined), { message: "first bind failed" });
      assert.equal(s.cache.isAssumed("default/p"), calls.binds.length === 2, "forgotten after the failure (unless already retried)");
      await waitFor(() => (s.scheduledCount === 1 ? true : undefined), { message: "bound on retry" });
      assert.deepEqual(calls.binds, ["default/p->n1", "default/p->n1"]);
      assert.ok(s.cache.isAssumed("default/p"), "assumed until the informer shows it bound");
      await waitFor(() => (calls.events.some((e) => e.reason === "Scheduled") ? true : undefined), { message: "Scheduled event" });
      const ev = calls.events.find((e) => e.reason === "Scheduled")!;
      assert.equal(ev.message, "Successfully assigned default/p to n1");
      assert.equal(ev.involvedObject?.uid, "uid-p");
      // The informer sees the binding: the pod counts as bound, no longer assumed.
      const bound = pod("p", "1");
      bound.spec!.nodeName = "n1";
      s.onPodUpdate(pod("p", "1"), bound);
      assert.equal(s.cache.isAssumed("default/p"), false);
    } finally {
      stop.abort();
      await running;
    }
  });

  it("writes PodScheduled=False only when the message changes, warns on every attempt, and places the pod once a node fits", async () => {
    const { client, calls } = fakeClient();
    const s = new Scheduler({ client, configuration: defaultConfiguration(), logger: quiet, queue: { initialBackoffMs: 10, maxBackoffMs: 20 } });
    s.onNodeAdd(node("small", "1"));
    const p = pod("big", "4");
    s.onPodAdd(p);
    const stop = new AbortController();
    const running = s.run(stop.signal);
    try {
      await waitFor(() => (calls.statuses.length === 1 ? true : undefined), { message: "condition written" });
      const written = calls.statuses[0]!;
      const cond = written.status!.conditions.find((c) => c.type === "PodScheduled")!;
      assert.equal(cond.status, "False");
      assert.equal(cond.reason, "Unschedulable");
      assert.match(cond.message, /^0\/1 nodes are available: 1 Insufficient cpu\./);
      // Our own write comes back through the informer: not a reason to retry.
      s.onPodUpdate(p, written);
      assert.equal(s.queue.pending().unschedulable, 1);
      // A retry with the same outcome warns again (the same Event, count 2) but does not rewrite the condition.
      s.queue.moveAllToActiveOrBackoff("NodeUpdate");
      const warning = `FailedScheduling ${cond.message}`;
      await waitFor(() => (calls.eventCounts.get(warning) === 2 && s.queue.pending().unschedulable === 1 ? true : undefined), {
        message: "second attempt",
      });
      assert.equal(calls.events.filter((e) => e.reason === "FailedScheduling").length, 1, "one Event, counted twice");
      assert.equal(calls.statuses.length, 1);
      s.onNodeAdd(node("large", "8"));
      await waitFor(() => (s.scheduledCount === 1 ? true : undefined), { message: "placed on the new node" });
      assert.deepEqual(calls.binds, ["default/big->large"]);
    } finally {
      stop.abort();
      await running;
    }
  });

  it("leaves the room a preemptor was nominated to for it, though a lower-priority pod would fit there first", async () => {
    const { client, calls } = fakeClient();
    const s = new Scheduler({ client, configuration: defaultConfiguration(), logger: quiet, queue: { initialBackoffMs: 10, maxBackoffMs: 20 } });
    s.onNodeAdd(node("n1", "4"));
    const victim = pod("victim", "2");
    victim.spec!.nodeName = "n1";
    victim.metadata!.deletionTimestamp = "2026-01-01T00:00:00Z";
    s.onPodAdd(victim);
    const vip = pod("vip", "3");
    vip.spec!.priority = 100;
    vip.status!.nominatedNodeName = "n1";
    s.onPodAdd(vip);
    s.onPodAdd(pod("low", "1"));
    assert.deepEqual(s.queue.nominator.nominatedPodsForNode("n1").map((p) => p.key), ["default/vip"]);
    const stop = new AbortController();
    const running = s.run(stop.signal);
    try {
      await waitFor(() => (s.queue.pending().unschedulable === 2 ? true : undefined), { message: "both wait: vip for its victim, low behind vip" });
      assert.deepEqual(calls.binds, []);
      s.onPodDelete(victim);
      await waitFor(() => (s.scheduledCount === 2 ? true : undefined), { message: "both bound" });
      assert.deepEqual(calls.binds, ["default/vip->n1", "default/low->n1"]);
      assert.deepEqual(s.queue.nominator.nominatedPodsForNode("n1"), [], "assumed: no longer nominated");
    } finally {
      stop.abort();
      await running;
    }
  });
});
