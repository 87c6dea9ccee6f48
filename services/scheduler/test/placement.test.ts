// Integration tests of placement constraints on a real apiserver: taints, node affinity and selectors, pod anti-affinity.
import assert from "node:assert/strict";
import { after, before, describe, it, type TestContext } from "node:test";
import type { RunningScheduler } from "../src/index.js";
import {
  boundPod,
  cleanUp,
  createNamespace,
  node,
  nodes,
  pod,
  pods,
  startCluster,
  startTestScheduler,
  unschedulableCondition,
  type Cluster,
  type NodeShape,
  type Pod,
} from "./support.js";

describe("placement constraints on a real apiserver", () => {
  let cluster: Cluster;
  let sched: RunningScheduler;

  before(async () => {
    cluster = await startCluster();
    sched = await startTestScheduler(cluster);
  });

  after(async () => {
    await sched?.stop();
    await cluster?.stop();
  });

  /** Creates the namespace and nodes of one test, removed again when it ends. */
  async function setUp(t: TestContext, ns: string, shapes: Record<string, NodeShape>): Promise<void> {
    await createNamespace(cluster.client, ns);
    t.after(() => cleanUp(cluster.client, ns, Object.keys(shapes)));
    for (const [name, shape] of Object.entries(shapes)) await cluster.client.create(nodes, node(name, shape));
  }

  it("a NoSchedule-tainted node gets only the pods that tolerate its taint", async (t) => {
    const ns = "taints";
    const suite = { suite: ns };
    await setUp(t, ns, {
      "t-plain": { cpu: "4", labels: suite },
      "t-gpu": { cpu: "4", labels: suite, taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] },
    });
    const c = cluster.client;
    const plain = Array.from({ length: 6 }, (_v, i) => `plain-${i}`);
    for (const name of plain) await c.create(pods, pod(ns, name, "500m", { nodeSelector: suite }));
    for (const name of plain) assert.equal((await boundPod(c, ns, name)).spec!.nodeName, "t-plain", `${name} does not tolerate dedicated=gpu`);
    // t-plain has 1 cpu left: a 3-cpu pod fits only on the tainted node, and only if it tolerates the taint.
    const toleration = { key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" };
    await c.create(pods, pod(ns, "tolerating", "3", { nodeSelector: suite, tolerations: [toleration] }));
    assert.equal((await boundPod(c, ns, "tolerating")).spec!.nodeName, "t-gpu");
    await c.create(pods, pod(ns, "intolerant", "2", { nodeSelector: suite }));
    const cond = await unschedulableCondition(c, ns, "intolerant");
    assert.equal(cond.reason, "Unschedulable");
    assert.match(cond.message, /1 node\(s\) had untolerated taint \{dedicated: gpu\}/);
    assert.match(cond.message, /1 Insufficient cpu/);
    const stillPending = (await c.get(pods, ns, "intolerant")) as Pod;
    assert.equal(stillPending.spec?.nodeName, "");
  });

  it("required node affinity and nodeSelector place pods only on matching nodes", async (t) => {
    const ns = "required-affinity";
    await setUp(t, ns, {
      "a-ssd": { cpu: "4", labels: { disktype: "ssd" } },
      "a-hdd-1": { cpu: "4", labels: { disktype: "hdd" } },
      "a-hdd-2": { cpu: "4", labels: { disktype: "hdd" } },
      // The emptiest node matches neither: LeastAllocated alone would pick it every time.
      "a-none": { cpu: "32" },
    });
    const c = cluster.client;
    const ssdTerm = { matchExpressions: [{ key: "disktype", operator: "In", values: ["ssd"] }] };
    const affine = Array.from({ length: 4 }, (_v, i) => `ssd-${i}`);
    for (const name of affine) {
      await c.create(pods, pod(ns, name, "500m", { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [ssdTerm] } } } }));
    }
    const selected = Array.from({ length: 4 }, (_v, i) => `hdd-${i}`);
    for (const name of selected) await c.create(pods, pod(ns, name, "500m", { nodeSelector: { disktype: "hdd" } }));
    for (const name of affine) assert.equal((await boundPod(c, ns, name)).spec!.nodeName, "a-ssd", name);
    const hddNodes = new Set<string>();
    for (const name of selected) {
      const placed = (await boundPod(c, ns, name)).spec!.nodeName;
      assert.match(placed, /^a-hdd-[12]$/, `${name} on ${placed}`);
      hddNodes.add(placed);
    }
    assert.equal(hddNodes.size, 2, "least-allocated scoring spreads the selector's pods over both hdd nodes");
    await c.create(pods, pod(ns, "nvme", "100m", { nodeSelector: { disktype: "nvme" } }));
    const cond = await unschedulableCondition(c, ns, "nvme");
    assert.match(cond.message, /node\(s\) didn't match Pod's node affinity\/selector/);
  });

  it("preferred node affinity puts pods on the preferred node while it fits", async (t) => {
    const ns = "preferred-affinity";
    await setUp(t, ns, {
      "p-1": { cpu: "8" },
      "p-fast": { cpu: "4", labels: { speed: "fast" } },
      "p-2": { cpu: "8" },
    });
    const c = cluster.client;
    const preferFast = {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: "speed", operator: "In", values: ["fast"] }] } }],
      },
    };
    // p-fast is the smallest node: resource scoring alone would never prefer it.
    const names = ["pref-0", "pref-1", "pref-2"];
    for (const name of names) {
      await c.create(pods, pod(ns, name, "500m", { affinity: preferFast }));
      assert.equal((await boundPod(c, ns, name)).spec!.nodeName, "p-fast", name);
    }
    // Preferred is not required: once p-fast is full, the next pod still lands elsewhere.
    await c.create(pods, pod(ns, "pref-overflow", "3", { affinity: preferFast }));
    assert.match((await boundPod(c, ns, "pref-overflow")).spec!.nodeName, /^p-[12]$/);
  });

  it("required pod anti-affinity by hostname spreads 3 replicas onto 3 different nodes", async (t) => {
    const ns = "anti-affinity";
    await setUp(t, ns, {
      // The big node wins on LeastAllocated alone: only anti-affinity keeps replicas off it.
      "h-big": { cpu: "16" },
      "h-1": { cpu: "4" },
      "h-2": { cpu: "4" },
    });
    const c = cluster.client;
    const labels = { app: "web" };
    const antiAffinity = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey: "kubernetes.io/hostname" }],
      },
    };
    const replicas = ["web-0", "web-1", "web-2"];
    // Created together so the scheduler must count replicas it assumed but has not yet seen bound.
    await Promise.all(replicas.map((name) => c.create(pods, pod(ns, name, "1", { affinity: antiAffinity }, labels))));
    const placed = await Promise.all(replicas.map((name) => boundPod(c, ns, name)));
    const hosts = placed.map((p) => p.spec!.nodeName);
    assert.deepEqual([...hosts].sort(), ["h-1", "h-2", "h-big"], `replicas on ${hosts.join(", ")}`);
    await c.create(pods, pod(ns, "web-3", "1", { affinity: antiAffinity }, labels));
    const cond = await unschedulableCondition(c, ns, "web-3");
    assert.match(cond.message, /^0\/3 nodes are available: 3 node\(s\) didn't match pod anti-affinity rules\./);
  });
});
