// End-to-end: a node stops heartbeating; it is marked Unknown and tainted, its pods are evicted and the ReplicaSet replaces them on the healthy node.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { appsV1ReplicaSet, coreV1Node, isAlreadyExists, isNotFound, kindFor, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { heartbeats, postReady, renewLease, pods, startCmCluster, startFakeKubelets, type CmCluster } from "./harness.js";

type Node = coreV1Node.Node;
type Pod = coreV1Pod.Pod;
type ReplicaSet = appsV1ReplicaSet.ReplicaSet;

const nodes = kindFor("v1", "Node") as KindInfo<Node>;
const replicaSets = kindFor("apps/v1", "ReplicaSet") as KindInfo<ReplicaSet>;
const ns = "default";
const app = "spread";
const UNREACHABLE = "node.kubernetes.io/unreachable";
const GRACE_MS = 2000;

const isReady = (p: Pod): boolean => p.status?.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false;

describe("node failure (e2e)", () => {
  let cluster: CmCluster;
  const alive = new Set(["node-a", "node-b"]);
  const beats = new AbortController();
  let beatsDone: Promise<void> | undefined;
  let kubelets = new AbortController();
  let kubeletsDone: Promise<void> | undefined;

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
    beatsDone = heartbeats(cluster, alive, beats.signal);
    kubeletsDone = startFakeKubelets(cluster, ["node-a", "node-b"], kubelets.signal);
    await cluster.startControllerManager({ controllers: ["replicaset", "nodelifecycle"], nodeMonitorGracePeriod: GRACE_MS, podEvictionTimeout: 1000 });
  });

  after(async () => {
    beats.abort();
    kubelets.abort();
    await Promise.allSettled([beatsDone, kubeletsDone]);
    await cluster?.stop();
  });

  async function appPods(): Promise<Pod[]> {
    return (await cluster.client.list(pods, { namespace: ns, labelSelector: `app=${app}` })).items as Pod[];
  }

  it("pods on a node that stops heartbeating are evicted and replaced on the healthy node", async () => {
    await cluster.client.create(replicaSets, appsV1ReplicaSet.ReplicaSet.fromPartial({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: app, namespace: ns },
      spec: {
        replicas: 4,
        selector: { matchLabels: { app } },
        template: { metadata: { labels: { app } }, spec: { containers: [{ name: "app", image: "nginx:1.27" }] } },
      },
    }));
    const spread = await waitFor(async () => {
      const running = (await appPods()).filter((p) => p.status?.phase === "Running" && isReady(p));
      return running.length === 4 ? running : undefined;
    }, { timeoutMs: 15_000, message: "4 running pods" });
    const onB = spread.filter((p) => p.spec!.nodeName === "node-b").map((p) => p.metadata!.uid);
    assert.ok(onB.length > 0 && onB.length < 4, `pods spread over both nodes (${onB.length} on node-b)`);

    // node-b goes silent: no heartbeats, and no kubelet serves it any more.
    alive.delete("node-b");
    kubelets.abort();
    await kubeletsDone;
    kubelets = new AbortController();
    kubeletsDone = startFakeKubelets(cluster, ["node-a"], kubelets.signal);

    const tainted = await waitFor(async () => {
      const node = (await cluster.client.get(nodes, "", "node-b")) as Node;
      const taints = (node.spec?.taints ?? []).filter((t) => t.key === UNREACHABLE).map((t) => t.effect).sort();
      return taints.join() === "NoExecute,NoSchedule" ? node : undefined;
    }, { timeoutMs: GRACE_MS + 8000, message: "node-b tainted unreachable" });
    assert.equal(tainted.status?.conditions.find((c) => c.type === "Ready")?.status, "Unknown");

    // Evicted: marked for deletion (or already gone). No kubelet runs on node-b to finish the
    // deletion, so the test removes them as Kubernetes' pod garbage collector would.
    await waitFor(async () => {
      const byUid = new Map((await appPods()).map((p) => [p.metadata!.uid, p]));
      const pending = onB.filter((uid) => byUid.has(uid) && !byUid.get(uid)!.metadata?.deletionTimestamp);
      return pending.length === 0;
    }, { timeoutMs: 10_000, message: "node-b's pods evicted" });
    for (const p of (await appPods()).filter((p) => onB.includes(p.metadata!.uid))) {
      await cluster.client.delete(pods, ns, p.metadata!.name, { gracePeriodSeconds: 0 }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }

    const final = await waitFor(async () => {
      const all = await appPods();
      return all.length === 4 && all.every((p) => p.spec?.nodeName === "node-a" && p.status?.phase === "Running" && isReady(p) && !p.metadata?.deletionTimestamp) ? all : undefined;
    }, { timeoutMs: 15_000, message: "4 running pods, all on node-a" });
    assert.equal(final.filter((p) => onB.includes(p.metadata!.uid)).length, 0);
    const rs = await waitFor(async () => {
      const got = (await cluster.client.get(replicaSets, ns, app)) as ReplicaSet;
      return got.status?.readyReplicas === 4 && got.status.replicas === 4 ? got : undefined;
    }, { message: "ReplicaSet status 4 ready" });
    assert.equal(rs.status?.availableReplicas, 4);
    const nodeA = (await cluster.client.get(nodes, "", "node-a")) as Node;
    assert.deepEqual(nodeA.spec?.taints ?? [], [], "the healthy node stays untainted");
  });
});
