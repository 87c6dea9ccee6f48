// End-to-end: deleting a Deployment with Background, Foreground and Orphan propagation, through the deployment, replicaset and garbage collector controllers.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { appsV1Deployment, isNotFound, kindFor, type appsV1ReplicaSet, type ApiObject, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { pods, startCmCluster, startFakeKubelets, type CmCluster } from "./harness.js";

type Deployment = appsV1Deployment.Deployment;
type ReplicaSet = appsV1ReplicaSet.ReplicaSet;
type Pod = coreV1Pod.Pod;

const deployments = kindFor("apps/v1", "Deployment") as KindInfo<Deployment>;
const replicaSets = kindFor("apps/v1", "ReplicaSet") as KindInfo<ReplicaSet>;
const ns = "default";

/** What one Deployment made: its uid, its ReplicaSet and its pods, as they were once it was complete. */
interface Made {
  deployment: Deployment;
  rs: ReplicaSet;
  pods: Pod[];
}

/**
 * The revision at which each object of one app was deleted, from watches opened before the
 * delete; revisions are etcd's, so they order deletions across kinds.
 */
class Deletions {
  readonly at = new Map<string, number>();
  private readonly abort = new AbortController();
  private readonly done: Promise<unknown>;

  constructor(cluster: CmCluster, app: string) {
    const follow = async (kind: KindInfo, opts: { labelSelector?: string; fieldSelector?: string }): Promise<void> => {
      for await (const ev of cluster.client.watch(kind, { namespace: ns, ...opts, signal: this.abort.signal })) {
        if (ev.type === "DELETED") this.at.set(`${kind.kind}/${ev.object.metadata!.name}`, ev.revision);
      }
    };
    this.done = Promise.allSettled([
      follow(deployments, { fieldSelector: `metadata.name=${app}` }),
      follow(replicaSets, { labelSelector: `app=${app}` }),
      follow(pods, { labelSelector: `app=${app}` }),
    ]);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

describe("cascading deletion of a Deployment (e2e)", () => {
  let cluster: CmCluster;
  const kubelets = new AbortController();
  let kubeletsDone: Promise<void> | undefined;

  before(async () => {
    cluster = await startCmCluster();
    kubeletsDone = startFakeKubelets(cluster, ["node-1", "node-2"], kubelets.signal);
    await cluster.startControllerManager({ controllers: ["deployment", "replicaset", "garbagecollector"] });
  });

  after(async () => {
    kubelets.abort();
    await Promise.allSettled([kubeletsDone]);
    await cluster?.stop();
  });

  async function find<T extends ApiObject>(kind: KindInfo<T>, name: string): Promise<T | undefined> {
    try {
      return (await cluster.client.get(kind, ns, name)) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async function appPods(app: string): Promise<Pod[]> {
    return (await cluster.client.list(pods, { namespace: ns, labelSelector: `app=${app}` })).items as Pod[];
  }

  async function appReplicaSets(app: string): Promise<ReplicaSet[]> {
    return (await cluster.client.list(replicaSets, { namespace: ns, labelSelector: `app=${app}` })).items as ReplicaSet[];
  }

  /** Creates a 3-replica Deployment and waits until its ReplicaSet and 3 running pods exist. */
  async function deploy(app: string): Promise<Made> {
    await cluster.client.create(deployments, appsV1Deployment.Deployment.fromPartial({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: app, namespace: ns },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app } },
        template: { metadata: { labels: { app } }, spec: { containers: [{ name: "app", image: "nginx:1.27" }] } },
      },
    }));
    return waitFor(async () => {
      const deployment = (await cluster.client.get(deployments, ns, app)) as Deployment;
      const [rs, ...more] = await appReplicaSets(app);
      const running = (await appPods(app)).filter((p) => p.status?.phase === "Running");
      const complete = deployment.status?.availableReplicas === 3 && deployment.status.observedGeneration >= deployment.metadata!.generation;
      return complete && rs && more.length === 0 && running.length === 3 ? { deployment, rs, pods: running } : undefined;
    }, { timeoutMs: 20_000, message: `${app} complete with 3 pods` });
  }

  async function allGone(app: string): Promise<boolean> {
    const [d, rss, ps] = await Promise.all([find(deployments, app), appReplicaSets(app), appPods(app)]);
    return d === undefined && rss.length === 0 && ps.length === 0;
  }

  it("Background: the Deployment goes at once, then its ReplicaSet and pods", async () => {
    const made = await deploy("bg");
    await cluster.client.delete(deployments, ns, "bg", { propagationPolicy: "Background" });
    assert.equal(await find(deployments, "bg"), undefined, "the owner is removed without waiting for dependents");
    await waitFor(() => allGone("bg"), { timeoutMs: 15_000, message: "bg's ReplicaSet and pods deleted" });
    assert.equal(await find(replicaSets, made.rs.metadata!.name), undefined);
  });

  it("Foreground: the Deployment waits, marked with foregroundDeletion, until its ReplicaSet and pods are gone", async () => {
    const made = await deploy("fg");
    const deletions = new Deletions(cluster, "fg");
    try {
      await cluster.client.delete(deployments, ns, "fg", { propagationPolicy: "Foreground" });
      const marked = await find(deployments, "fg");
      assert.ok(marked, "the owner still exists right after the delete");
      assert.ok(marked.metadata?.deletionTimestamp, "with a deletionTimestamp");
      assert.ok(marked.metadata?.finalizers.includes("foregroundDeletion"), "and the foregroundDeletion finalizer");

      await waitFor(() => allGone("fg"), { timeoutMs: 15_000, message: "fg and its dependents deleted" });
      const expected = [`Deployment/fg`, `ReplicaSet/${made.rs.metadata!.name}`, ...made.pods.map((p) => `Pod/${p.metadata!.name}`)];
      await waitFor(() => expected.every((k) => deletions.at.has(k)), { message: "every deletion seen in the watches" });
      const ownerAt = deletions.at.get("Deployment/fg")!;
      for (const k of expected.slice(1)) assert.ok(deletions.at.get(k)! < ownerAt, `${k} was deleted (rev ${deletions.at.get(k)}) before the Deployment (rev ${ownerAt})`);
    } finally {
      await deletions.stop();
    }
  });

  it("Orphan: the Deployment goes; its ReplicaSet and pods remain without the owner reference", async () => {
    const made = await deploy("orphan");
    const uid = made.deployment.metadata!.uid;
    await cluster.client.delete(deployments, ns, "orphan", { propagationPolicy: "Orphan" });
    await waitFor(async () => (await find(deployments, "orphan")) === undefined, { timeoutMs: 15_000, message: "orphan Deployment deleted" });

    // The collector removes the owner references before it lets the owner go.
    const rs = await find(replicaSets, made.rs.metadata!.name);
    assert.ok(rs, "the ReplicaSet remains");
    assert.equal(rs.metadata!.uid, made.rs.metadata!.uid);
    assert.ok(!rs.metadata!.ownerReferences.some((r) => r.uid === uid), "the ReplicaSet no longer names the Deployment");
    assert.ok(!rs.metadata!.deletionTimestamp, "and is not being deleted");

    // Past a few reconciles: nothing comes back to delete what was orphaned.
    await sleep(1500);
    const left = (await appPods("orphan")).filter((p) => !p.metadata?.deletionTimestamp);
    assert.deepEqual(left.map((p) => p.metadata!.uid).sort(), made.pods.map((p) => p.metadata!.uid).sort(), "the same 3 pods remain");
    for (const p of left) assert.ok(p.metadata!.ownerReferences.some((r) => r.uid === rs.metadata!.uid), `${p.metadata!.name} still belongs to the ReplicaSet`);
    const [only, ...more] = await appReplicaSets("orphan");
    assert.equal(more.length, 0);
    assert.equal(only?.metadata!.uid, rs.metadata!.uid);
  });
});
