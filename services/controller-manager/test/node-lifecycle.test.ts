// Integration tests of the node lifecycle controller on a real apiserver, etcd and NATS: heartbeats, taints, evictions.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { coreV1Node, coreV1Pod, isAlreadyExists, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { heartbeats, postReady, renewLease, pods, startCmCluster, type CmCluster } from "./harness.js";

type Node = coreV1Node.Node;
type Pod = coreV1Pod.Pod;

const nodes = kindFor("v1", "Node") as KindInfo<Node>;
const UNREACHABLE = "node.kubernetes.io/unreachable";
const GRACE_MS = 2000;
const EVICTION_MS = 3000;

function boundPod(name: string, node: string, tolerations: Partial<coreV1Pod.Toleration>[] = []): Pod {
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: { nodeName: node, containers: [{ name: "app", image: "nginx:1.27" }], tolerations },
  });
}

async function getNode(cluster: CmCluster, name: string): Promise<Node> {
  return await cluster.client.get(nodes, "", name) as Node;
}

function healthTaints(node: Node): string[] {
  return (node.spec?.taints ?? []).filter((t) => t.key.startsWith("node.kubernetes.io/")).map((t) => `${t.key}:${t.effect}`).sort();
}

/** Evicted: deleted, or marked for graceful deletion (no kubelet here finishes it). */
async function evicted(cluster: CmCluster, name: string): Promise<boolean> {
  try {
    const pod = await cluster.client.get(pods, "default", name) as Pod;
    return Boolean(pod.metadata?.deletionTimestamp);
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

describe("node lifecycle controller", () => {
  let cluster: CmCluster;
  const alive = new Set(["node-a", "node-b"]);
  const kubelets = new AbortController();
  let kubeletsDone: Promise<void>;

  before(async () => {
    cluster = await startCmCluster();
    for (const name of alive) {
      try {
        await cluster.client.create(nodes, coreV1Node.Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: { name } }));
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      await renewLease(cluster, name);
      await postReady(cluster, name);
    }
    kubeletsDone = heartbeats(cluster, alive, kubelets.signal);
    await cluster.startControllerManager({ controllers: ["nodelifecycle"], nodeMonitorGracePeriod: GRACE_MS, podEvictionTimeout: EVICTION_MS });
  });

  after(async () => {
    kubelets.abort();
    await kubeletsDone;
    await cluster?.stop();
  });

  it("keeps nodes with a fresh Lease and heartbeat Ready and untainted", async () => {
    // Past the grace period: a controller that ignored the Lease renewals would have acted by now.
    await sleep(GRACE_MS * 2);
    for (const name of ["node-a", "node-b"]) {
      const node = await getNode(cluster, name);
      assert.equal(node.status?.conditions.find((c) => c.type === "Ready")?.status, "True", name);
      assert.deepEqual(healthTaints(node), [], name);
    }
  });

  it("marks a silent node Unknown and taints it unreachable, then evicts its intolerant pods after the timeout", async () => {
    for (const [name, node] of [["a-plain", "node-a"], ["b-plain", "node-b"]] as const) await cluster.client.create(pods, boundPod(name, node));
    await cluster.client.create(pods, boundPod("b-tolerant", "node-b", [{ key: UNREACHABLE, operator: "Exists", effect: "NoExecute" }]));
    await cluster.client.create(pods, boundPod("b-short", "node-b", [{ key: UNREACHABLE, operator: "Exists", effect: "NoExecute", tolerationSeconds: 1 }]));

    alive.delete("node-b");
    const stoppedAt = Date.now();
    const tainted = await waitFor(async () => {
      const node = await getNode(cluster, "node-b");
      return healthTaints(node).length === 2 ? node : undefined;
    }, { timeoutMs: GRACE_MS + 5000, message: "node-b tainted" });
    assert.ok(Date.now() - stoppedAt >= GRACE_MS - 500, "not tainted before the grace period ran out");
    assert.deepEqual(healthTaints(tainted), [`${UNREACHABLE}:NoExecute`, `${UNREACHABLE}:NoSchedule`]);
    assert.ok(tainted.spec!.taints.find((t) => t.effect === "NoExecute")!.timeAdded, "NoExecute taint has timeAdded");
    const conditions = new Map(tainted.status!.conditions.map((c) => [c.type, c]));
    for (const type of ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]) {
      assert.equal(conditions.get(type)?.status, "Unknown", type);
      assert.equal(conditions.get(type)?.reason, "NodeStatusUnknown", type);
    }
    assert.equal(conditions.get("Ready")?.message, "Kubelet stopped posting node status.");
    const taintedAt = Date.now();
    assert.equal(await evicted(cluster, "b-plain"), false, "pods keep their default tolerationSeconds");

    await waitFor(() => evicted(cluster, "b-short"), { timeoutMs: 5000, message: "b-short evicted after its 1 s toleration" });
    await waitFor(() => evicted(cluster, "b-plain"), { timeoutMs: EVICTION_MS + 5000, message: "b-plain evicted after podEvictionTimeout" });
    // timeAdded has second precision, so the deadline may come up to 1 s early.
    assert.ok(Date.now() - taintedAt >= EVICTION_MS - 1500, "b-plain was not evicted before its default toleration ran out");
    assert.equal(await evicted(cluster, "b-tolerant"), false, "a pod tolerating unreachable without tolerationSeconds stays");
    assert.equal(await evicted(cluster, "a-plain"), false, "pods on the healthy node stay");
    const nodeA = await getNode(cluster, "node-a");
    assert.deepEqual(healthTaints(nodeA), []);
  });

  it("untaints a node whose kubelet comes back", async () => {
    alive.add("node-b");
    const node = await waitFor(async () => {
      const n = await getNode(cluster, "node-b");
      return healthTaints(n).length === 0 ? n : undefined;
    }, { timeoutMs: 5000, message: "node-b untainted" });
    assert.equal(node.status?.conditions.find((c) => c.type === "Ready")?.status, "True");
    assert.equal(await evicted(cluster, "b-tolerant"), false);
  });

  it("taints but evicts nothing when every node looks down (full disruption)", async () => {
    await cluster.client.create(pods, boundPod("a-survivor", "node-a"));
    alive.clear();
    await waitFor(async () => {
      const [a, b] = await Promise.all([getNode(cluster, "node-a"), getNode(cluster, "node-b")]);
      return healthTaints(a).length === 2 && healthTaints(b).length === 2;
    }, { timeoutMs: GRACE_MS + 5000, message: "both nodes tainted" });
    // Past the eviction timeout: a controller without the guard would have evicted by now.
    await sleep(EVICTION_MS + 1500);
    assert.equal(await evicted(cluster, "a-survivor"), false);
    assert.equal(await evicted(cluster, "a-plain"), false);
  });
});
