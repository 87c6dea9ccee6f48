// Integration tests of DefaultPreemption on a real apiserver: victims, nomination, and preemptionPolicy Never.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { waitFor } from "@kubeplane/testing";
import type { RunningScheduler } from "../src/index.js";
import {
  boundPod,
  createNamespace,
  node,
  nodes,
  pod,
  pods,
  PodHistory,
  startCluster,
  startTestScheduler,
  unschedulableCondition,
  type Cluster,
  type Pod,
} from "./support.js";

const HOST = "kubernetes.io/hostname";

describe("preemption on a real apiserver", () => {
  let cluster: Cluster;
  let sched: RunningScheduler;
  let history: PodHistory;
  const ns = "preempt";

  before(async () => {
    cluster = await startCluster();
    sched = await startTestScheduler(cluster);
    await createNamespace(cluster.client, ns);
    history = await PodHistory.start(cluster.client, ns);
  });

  after(async () => {
    await history?.stop();
    await sched?.stop();
    await cluster?.stop();
  });

  /** Names of the pods the watch saw marked for deletion or deleted. */
  function evicted(): Set<string> {
    history.check();
    return new Set(history.events.filter((e) => e.type === "DELETED" || e.object.metadata?.deletionTimestamp).map((e) => e.object.metadata!.name));
  }

  it("a 2-cpu priority-1000 pod on a full cluster evicts the priority-0 pods of one node, is nominated there and binds there", async () => {
    const c = cluster.client;
    await c.create(nodes, node("pre-1", { cpu: "2" }));
    await c.create(nodes, node("pre-2", { cpu: "2" }));
    // pre-1 holds two priority-0 pods; pre-2 one priority-0 and one priority-1000 pod, which protects it.
    const fill: [string, string, number][] = [
      ["low-a", "pre-1", 0],
      ["low-b", "pre-1", 0],
      ["low-c", "pre-2", 0],
      ["peer", "pre-2", 1000],
    ];
    for (const [name, host, priority] of fill) await c.create(pods, pod(ns, name, "1", { nodeSelector: { [HOST]: host }, priority }));
    for (const [name, host] of fill) assert.equal((await boundPod(c, ns, name)).spec!.nodeName, host);

    await c.create(pods, pod(ns, "preemptor", "2", { priority: 1000 }));
    const nominated = await waitFor(async () => {
      const p = (await c.get(pods, ns, "preemptor")) as Pod;
      return p.status?.nominatedNodeName || undefined;
    }, { message: "preemptor nominated" });
    assert.equal(nominated, "pre-1", "only pre-1 can be freed without evicting an equal-priority pod");
    await waitFor(() => evicted().has("low-a") && evicted().has("low-b"), { message: "victims low-a and low-b marked for deletion" });
    assert.equal(((await c.get(pods, ns, "preemptor")) as Pod).spec?.nodeName, "", "binds only once the victims are gone");

    // As the kubelet would once the victims' containers stopped.
    for (const victim of ["low-a", "low-b"]) await c.delete(pods, ns, victim, { gracePeriodSeconds: 0 }).catch(() => undefined);
    assert.equal((await boundPod(c, ns, "preemptor")).spec!.nodeName, "pre-1");

    // The watch may lag the get above: wait until it too has seen the binding.
    await waitFor(() => history.bindings().some((b) => b.name === "preemptor"), { message: "preemptor bound in the pod watch" });
    const nominatedBeforeBound = history.events.findIndex((e) => e.object.metadata?.name === "preemptor" && e.object.status?.nominatedNodeName === "pre-1");
    const firstBound = history.events.findIndex((e) => e.object.metadata?.name === "preemptor" && e.object.spec?.nodeName);
    const trail = history.events
      .filter((e) => e.object.metadata?.name === "preemptor")
      .map((e) => `${e.type} rv=${e.object.metadata?.resourceVersion} node=${e.object.spec?.nodeName || "-"} nominated=${e.object.status?.nominatedNodeName || "-"}`);
    assert.ok(nominatedBeforeBound >= 0 && nominatedBeforeBound < firstBound, `nominatedNodeName set before the binding in the watch: ${trail.join("; ")}`);
    assert.deepEqual([...evicted()].sort(), ["low-a", "low-b"], "no other pod was evicted (low-c: not needed; peer: equal priority)");
    assert.deepEqual(history.rebound(), []);
  });

  it("a pod with preemptionPolicy Never stays pending and evicts nothing", async () => {
    const c = cluster.client;
    const before = evicted();
    await c.create(pods, pod(ns, "polite", "1", { priority: 2000, preemptionPolicy: "Never" }));
    const cond = await unschedulableCondition(c, ns, "polite");
    assert.equal(cond.reason, "Unschedulable");
    assert.match(cond.message, /^0\/2 nodes are available: 2 Insufficient cpu\./);
    // The condition is written after PostFilter ran: any eviction would have been asked for by now.
    const polite = (await c.get(pods, ns, "polite")) as Pod;
    assert.equal(polite.status?.nominatedNodeName ?? "", "");
    assert.equal(polite.spec?.nodeName, "");
    const listed = (await c.list(pods, { namespace: ns })).items as Pod[];
    assert.deepEqual(listed.filter((p) => p.metadata?.deletionTimestamp).map((p) => p.metadata!.name), []);
    assert.deepEqual(evicted(), before);
    // A control: the same pod allowed to preempt does evict (low-c, the only priority-0 pod left).
    await c.create(pods, pod(ns, "pushy", "1", { priority: 2000 }));
    await waitFor(() => evicted().has("low-c"), { message: "low-c marked for deletion by pushy" });
    assert.deepEqual([...evicted()].sort(), ["low-a", "low-b", "low-c"]);
  });
});
