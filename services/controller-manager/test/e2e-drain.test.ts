// Drain end to end on a real apiserver: the Deployment, ReplicaSet and disruption controllers, stand-in
// kubelets (simulated readiness, services/controller-manager/test/harness.ts) and kpctl as a process —
// `kpctl drain` with a PodDisruptionBudget of minAvailable 2 never lets the Deployment's available pods
// drop below 2 and finishes; uncordon makes the node schedulable again; taint adds and removes taints.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { appsV1Deployment, coreV1Node, kindFor, policyV1, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import { Informer } from "@kubeplane/client";
import { runKpctl, waitFor } from "@kubeplane/testing";
import { pods, startCmCluster, startFakeKubelets, type CmCluster } from "./harness.js";

const deployments = kindFor("apps/v1", "Deployment") as KindInfo<appsV1Deployment.Deployment>;
const nodes = kindFor("v1", "Node") as KindInfo<coreV1Node.Node>;
const pdbs = kindFor("policy/v1", "PodDisruptionBudget") as KindInfo<policyV1.PodDisruptionBudget>;

const available = (p: coreV1Pod.Pod): boolean => !p.metadata?.deletionTimestamp && (p.status?.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false);

describe("kpctl drain, uncordon and taint", () => {
  let cluster: CmCluster;
  const stop = new AbortController();
  const node1Kubelet = new AbortController();
  const running: Promise<unknown>[] = [];
  const kpctl = (...args: string[]): ReturnType<typeof runKpctl> => runKpctl(cluster.apiserver.grpcAddress, args, { timeoutMs: 150_000 });

  before(async () => {
    cluster = await startCmCluster();
    for (const name of ["node-1", "node-2"]) {
      await cluster.client.create(nodes, coreV1Node.Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: { name, labels: { "kubernetes.io/hostname": name } } }));
    }
    await cluster.startControllerManager({ controllers: ["deployment", "replicaset", "disruption"] });
  });

  after(async () => {
    stop.abort();
    node1Kubelet.abort();
    await Promise.allSettled(running);
    await cluster?.stop();
  });

  it("drain with a PDB of minAvailable 2 on a 3-replica Deployment never drops below 2 available pods, and finishes", async () => {
    // Every pod first lands on node-1 (the stand-in kubelets bind as a scheduler would).
    running.push(startFakeKubelets(cluster, ["node-1"], node1Kubelet.signal));
    await cluster.client.create(deployments, appsV1Deployment.Deployment.fromPartial({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default" },
      spec: { replicas: 3, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "busybox:1.36" }] } } },
    }));
    await cluster.client.create(pdbs, policyV1.PodDisruptionBudget.fromPartial({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "web", namespace: "default" },
      spec: { minAvailable: "2", selector: { matchLabels: { app: "web" } } },
    }));
    await waitFor(async () => {
      const b = (await cluster.client.get(pdbs, "default", "web")) as policyV1.PodDisruptionBudget;
      return b.status?.currentHealthy === 3 && b.status.disruptionsAllowed === 1 && b.status.expectedPods === 3 && b.status.desiredHealthy === 2;
    }, { timeoutMs: 30_000, message: "budget web: 3 healthy, 1 disruption allowed" });

    // From now on pods go to node-2, and become Ready only after a while: evictions must wait for them.
    node1Kubelet.abort();
    running.push(startFakeKubelets(cluster, ["node-2"], stop.signal, { readyDelayMs: 1500 }));
    // Watch every change of the pods: the count of available ones after each.
    const informer = new Informer({ client: cluster.client, watch: cluster.watch, kind: pods });
    let minAvailable = Number.POSITIVE_INFINITY;
    let synced = false; // the initial list adds pods one by one: counting starts once it is complete
    const observe = (): void => {
      if (!synced) return;
      const n = informer.lister.listByNamespace("default").filter((p) => p.metadata?.labels["app"] === "web" && available(p)).length;
      minAvailable = Math.min(minAvailable, n);
    };
    informer.addEventHandler({ onAdd: observe, onUpdate: observe, onDelete: observe });
    running.push(informer.run(stop.signal));
    await waitFor(() => informer.hasSynced, { timeoutMs: 10_000, message: "pod informer synced" });
    synced = true;
    observe();
    assert.equal(minAvailable, 3);

    const drained = await kpctl("drain", "node-1", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=120s", "--grace-period=1");
    assert.equal(drained.code, 0, drained.stderr);
    assert.match(drained.stdout, /^node\/node-1 cordoned$/m);
    assert.equal(drained.stdout.match(/^evicting pod default\/web-/gm)?.length, 3, drained.stdout);
    assert.equal(drained.stdout.match(/^pod\/web-\S+ evicted$/gm)?.length, 3, drained.stdout);
    assert.match(drained.stdout, /node\/node-1 drained\n$/);
    assert.match(drained.stderr, /error when evicting pods\/"web-[^"]+" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./);
    const after = (await cluster.client.list(pods, { namespace: "default" })).items as coreV1Pod.Pod[];
    assert.deepEqual(after.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.spec?.nodeName), ["node-2", "node-2", "node-2"]);
    assert.ok(minAvailable >= 2, `available pods dropped to ${minAvailable}`);
    const node = (await cluster.client.get(nodes, "", "node-1")) as coreV1Node.Node;
    assert.equal(node.spec?.unschedulable, true);
  });

  it("uncordon makes the node schedulable again; cordon twice says already cordoned", async () => {
    const again = await kpctl("cordon", "node-1");
    assert.equal(again.stdout, "node/node-1 already cordoned\n");
    const un = await kpctl("uncordon", "node-1");
    assert.equal(un.code, 0, un.stderr);
    assert.equal(un.stdout, "node/node-1 uncordoned\n");
    const node = (await cluster.client.get(nodes, "", "node-1")) as coreV1Node.Node;
    assert.ok(!node.spec?.unschedulable);
  });

  it("taint adds, refuses to overwrite without --overwrite, and removes taints", async () => {
    const added = await kpctl("taint", "nodes", "node-2", "dedicated=db:NoSchedule");
    assert.equal(added.stdout, "node/node-2 tainted\n", added.stderr);
    const dup = await kpctl("taint", "nodes", "node-2", "dedicated=web:NoSchedule");
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /node node-2 already has dedicated taint\(s\) with same effect\(s\) and --overwrite is false/);
    const over = await kpctl("taint", "nodes", "node-2", "dedicated=web:NoSchedule", "--overwrite");
    assert.equal(over.code, 0, over.stderr);
    let node = (await cluster.client.get(nodes, "", "node-2")) as coreV1Node.Node;
    assert.deepEqual(node.spec?.taints.map((t) => [t.key, t.value, t.effect]), [["dedicated", "web", "NoSchedule"]]);
    const removed = await kpctl("taint", "nodes", "node-2", "dedicated-");
    assert.equal(removed.stdout, "node/node-2 untainted\n", removed.stderr);
    node = (await cluster.client.get(nodes, "", "node-2")) as coreV1Node.Node;
    assert.deepEqual(node.spec?.taints ?? [], []);
  });
});
