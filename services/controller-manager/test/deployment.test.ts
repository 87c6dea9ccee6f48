// Integration tests of the Deployment controller (with the ReplicaSet controller) on a real apiserver, etcd and NATS.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { appsV1Deployment, coreV1Pod, kindFor, type appsV1ReplicaSet, type KindInfo } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { pods, startCmCluster, startFakeKubelets, type CmCluster } from "./harness.js";

type Deployment = appsV1Deployment.Deployment;
type ReplicaSet = appsV1ReplicaSet.ReplicaSet;
type Pod = coreV1Pod.Pod;

const deployments = kindFor("apps/v1", "Deployment") as KindInfo<Deployment>;
const replicaSets = kindFor("apps/v1", "ReplicaSet") as KindInfo<ReplicaSet>;
const ns = "default";
const HASH = "pod-template-hash";
const REVISION = "deployment.kubernetes.io/revision";

function template(app: string, image: string, extra: Partial<coreV1Pod.PodSpec> = {}): coreV1Pod.PodTemplateSpec {
  return coreV1Pod.PodTemplateSpec.fromPartial({ metadata: { labels: { app } }, spec: { containers: [{ name: "app", image }], ...extra } });
}

function isTerminating(p: Pod): boolean {
  return Boolean(p.metadata?.deletionTimestamp) || p.status?.phase === "Succeeded" || p.status?.phase === "Failed";
}

function isReady(p: Pod): boolean {
  return p.status?.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/**
 * Every pod event of one app from a watch opened before the change under test, replayed into a
 * local model: what the cluster looked like after each event, not at a few sampled moments.
 */
class PodHistory {
  readonly pods = new Map<string, Pod>();
  armed = false;
  minAvailable = Infinity;
  maxActive = 0;
  maxWithTerminating = 0;
  /** Hash labels of the pods present at one moment, terminating ones included, whenever more than one. */
  readonly mixed: string[][] = [];
  private readonly abort = new AbortController();
  readonly done: Promise<void>;

  constructor(cluster: CmCluster, app: string) {
    this.done = this.run(cluster, app);
  }

  private async run(cluster: CmCluster, app: string): Promise<void> {
    for await (const ev of cluster.client.watch(pods, { namespace: ns, labelSelector: `app=${app}`, signal: this.abort.signal })) {
      const pod = ev.object as Pod;
      if (ev.type === "BOOKMARK") continue;
      if (ev.type === "DELETED") this.pods.delete(pod.metadata!.name);
      else this.pods.set(pod.metadata!.name, pod);
      if (this.armed) this.observe();
    }
  }

  private observe(): void {
    const all = [...this.pods.values()];
    const active = all.filter((p) => !isTerminating(p));
    this.maxActive = Math.max(this.maxActive, active.length);
    this.maxWithTerminating = Math.max(this.maxWithTerminating, all.length);
    this.minAvailable = Math.min(this.minAvailable, active.filter(isReady).length);
    const hashes = new Set(all.map((p) => p.metadata!.labels[HASH] ?? ""));
    if (hashes.size > 1) this.mixed.push([...hashes]);
  }

  ready(hash?: string): number {
    return [...this.pods.values()].filter((p) => !isTerminating(p) && isReady(p) && (hash === undefined || p.metadata!.labels[HASH] === hash)).length;
  }

  size(): number {
    return this.pods.size;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

describe("deployment controller", () => {
  let cluster: CmCluster;
  const kubelets = new AbortController();
  let kubeletsDone: Promise<void>;

  before(async () => {
    cluster = await startCmCluster();
    // Pods become Ready a little after they start, so a rollout of 10 takes several steps.
    kubeletsDone = startFakeKubelets(cluster, ["node-1", "node-2", "node-3"], kubelets.signal, { readyDelayMs: 100 });
    await cluster.startControllerManager({ controllers: ["deployment", "replicaset"] });
  });

  after(async () => {
    kubelets.abort();
    await Promise.allSettled([kubeletsDone]);
    await cluster?.stop();
  });

  async function createDeployment(name: string, replicas: number, spec: Partial<appsV1Deployment.DeploymentSpec> = {}): Promise<Deployment> {
    const d = appsV1Deployment.Deployment.fromPartial({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: ns },
      spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name, "nginx:1.27"), ...spec },
    });
    return (await cluster.client.create(deployments, d)) as Deployment;
  }

  async function get(name: string): Promise<Deployment> {
    return (await cluster.client.get(deployments, ns, name)) as Deployment;
  }

  /** Changes the Deployment's spec, retrying on a Conflict with the controller's own writes. */
  async function updateSpec(name: string, change: (spec: appsV1Deployment.DeploymentSpec) => void): Promise<Deployment> {
    return waitFor(async () => {
      const d = appsV1Deployment.Deployment.fromPartial(await get(name));
      change(d.spec!);
      return (await cluster.client.update(deployments, d)) as Deployment;
    }, { message: `update of ${name}` });
  }

  async function replicaSetsOf(d: Deployment): Promise<ReplicaSet[]> {
    const list = await cluster.client.list(replicaSets, { namespace: ns });
    return (list.items as ReplicaSet[]).filter((rs) => rs.metadata?.ownerReferences.some((r) => r.controller && r.uid === d.metadata!.uid));
  }

  async function activePods(app: string): Promise<Pod[]> {
    const list = await cluster.client.list(pods, { namespace: ns, labelSelector: `app=${app}` });
    return (list.items as Pod[]).filter((p) => !isTerminating(p));
  }

  /** Waits until the rollout of the current spec is complete: every pod updated and available. */
  async function waitComplete(name: string, replicas: number, timeoutMs = 20_000): Promise<Deployment> {
    return waitFor(async () => {
      const d = await get(name);
      const s = d.status;
      const done =
        s !== undefined &&
        s.observedGeneration >= d.metadata!.generation &&
        s.replicas === replicas &&
        s.updatedReplicas === replicas &&
        s.availableReplicas === replicas &&
        s.conditions.some((c) => c.type === "Progressing" && c.reason === "NewReplicaSetAvailable");
      return done ? d : undefined;
    }, { timeoutMs, message: `${name} complete at ${replicas}` });
  }

  it("a 3-replica Deployment makes one hashed ReplicaSet and 3 ready pods", async () => {
    const d = await createDeployment("web", 3);
    const done = await waitComplete("web", 3);
    const [rs, ...others] = await replicaSetsOf(d);
    assert.equal(others.length, 0);
    const hash = rs!.metadata!.labels[HASH]!;
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(rs!.metadata!.name, `web-${hash}`);
    assert.equal(rs!.spec!.selector!.matchLabels[HASH], hash);
    assert.equal(rs!.spec!.template!.metadata!.labels[HASH], hash);
    assert.equal(rs!.metadata!.annotations[REVISION], "1");
    assert.equal(rs!.metadata!.annotations["deployment.kubernetes.io/desired-replicas"], "3");
    // 25% of 3 rounded up.
    assert.equal(rs!.metadata!.annotations["deployment.kubernetes.io/max-replicas"], "4");
    const made = await activePods("web");
    assert.equal(made.length, 3);
    for (const p of made) assert.equal(p.metadata!.labels[HASH], hash);
    const available = done.status!.conditions.find((c) => c.type === "Available");
    assert.deepEqual([available?.status, available?.reason], ["True", "MinimumReplicasAvailable"]);
    assert.equal(done.status!.readyReplicas, 3);
    assert.equal(done.status!.unavailableReplicas, 0);
    await waitFor(async () => ((await get("web")).metadata!.annotations[REVISION] === "1" ? true : undefined), { message: "revision on the Deployment" });
  });

  it("scaling to 10 and back to 2 converges on the same ReplicaSet", async () => {
    await cluster.client.updateScale(deployments, ns, "web", 10);
    await waitComplete("web", 10);
    await cluster.client.updateScale(deployments, ns, "web", 2);
    const d = await waitComplete("web", 2);
    await waitFor(async () => ((await activePods("web")).length === 2 ? true : undefined), { message: "2 pods of web" });
    const rss = await replicaSetsOf(d);
    assert.equal(rss.length, 1);
    assert.equal(rss[0]!.spec!.replicas, 2);
    assert.equal(rss[0]!.metadata!.annotations["deployment.kubernetes.io/desired-replicas"], "2");
  });

  it("a rolling update of 10 with maxUnavailable=2, maxSurge=3 never has fewer than 8 available nor more than 13 pods; undo re-uses the old ReplicaSet", async () => {
    const d = await createDeployment("roll", 10, { strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "2", maxSurge: "3" } } });
    await waitComplete("roll", 10);
    const history = new PodHistory(cluster, "roll");
    try {
      await waitFor(() => (history.ready() === 10 && history.size() === 10 ? true : undefined), { message: "watch replayed 10 ready pods" });
      history.armed = true;
      const [first] = await replicaSetsOf(d);
      const oldHash = first!.metadata!.labels[HASH]!;

      await updateSpec("roll", (s) => {
        s.template = template("roll", "nginx:1.28");
      });
      await waitComplete("roll", 10, 30_000);
      const rss = await replicaSetsOf(d);
      assert.equal(rss.length, 2);
      const next = rss.find((rs) => rs.metadata!.labels[HASH] !== oldHash)!;
      const newHash = next.metadata!.labels[HASH]!;
      assert.equal(next.metadata!.annotations[REVISION], "2");
      await waitFor(() => (history.ready(newHash) === 10 && history.size() === 10 ? true : undefined), { message: "10 new pods in the watch" });
      assert.ok(history.minAvailable >= 8, `available dropped to ${history.minAvailable}`);
      assert.ok(history.maxActive <= 13, `${history.maxActive} pods at once`);
      assert.ok(history.mixed.length > 0, "old and new pods overlapped: the rollout was rolling");

      // rollout undo: the previous template goes back into the Deployment.
      await updateSpec("roll", (s) => {
        s.template = template("roll", "nginx:1.27");
      });
      await waitComplete("roll", 10, 30_000);
      await waitFor(() => (history.ready(oldHash) === 10 && history.size() === 10 ? true : undefined), { message: "10 pods of the old template again" });
      assert.ok(history.minAvailable >= 8, `available dropped to ${history.minAvailable} during undo`);
      assert.ok(history.maxActive <= 13, `${history.maxActive} pods at once during undo`);
      const after = await replicaSetsOf(d);
      assert.equal(after.length, 2, "the old ReplicaSet was re-used, not re-created");
      const reused = after.find((rs) => rs.metadata!.labels[HASH] === oldHash)!;
      assert.equal(reused.metadata!.uid, first!.metadata!.uid);
      assert.equal(reused.metadata!.annotations[REVISION], "3");
      assert.equal(reused.metadata!.annotations["deployment.kubernetes.io/revision-history"], "1");
      assert.equal(reused.spec!.replicas, 10);
      assert.equal(after.find((rs) => rs.metadata!.labels[HASH] === newHash)!.spec!.replicas, 0);
    } finally {
      await history.stop();
    }
  });

  it("Recreate never has old and new pods at once", async () => {
    const d = await createDeployment("recreate", 4, { strategy: { type: "Recreate" } });
    await waitComplete("recreate", 4);
    const history = new PodHistory(cluster, "recreate");
    try {
      await waitFor(() => (history.ready() === 4 && history.size() === 4 ? true : undefined), { message: "watch replayed 4 ready pods" });
      history.armed = true;
      await updateSpec("recreate", (s) => {
        s.template = template("recreate", "nginx:1.28");
      });
      await waitComplete("recreate", 4);
      const rss = await replicaSetsOf(d);
      const newRS = rss.find((rs) => rs.metadata!.annotations[REVISION] === "2")!;
      await waitFor(() => (history.ready(newRS.metadata!.labels[HASH]) === 4 && history.size() === 4 ? true : undefined), { message: "4 new pods in the watch" });
      assert.deepEqual(history.mixed, [], "old and new pods existed at the same time");
    } finally {
      await history.stop();
    }
  });

  it("revisionHistoryLimit deletes the oldest scaled-down ReplicaSets", async () => {
    const d = await createDeployment("history", 1, { revisionHistoryLimit: 1 });
    await waitComplete("history", 1);
    for (const image of ["nginx:1.28", "nginx:1.29"]) {
      await updateSpec("history", (s) => {
        s.template = template("history", image);
      });
      await waitComplete("history", 1);
    }
    const rss = await waitFor(async () => {
      const list = await replicaSetsOf(d);
      return list.length === 2 ? list : undefined;
    }, { message: "2 ReplicaSets left (the new one and one old)" });
    assert.deepEqual(rss.map((rs) => rs.metadata!.annotations[REVISION]).sort(), ["2", "3"]);
  });

  it("a paused Deployment scales but does not roll out", async () => {
    const d = await createDeployment("paused", 2);
    await waitComplete("paused", 2);
    await updateSpec("paused", (s) => {
      s.paused = true;
      s.template = template("paused", "nginx:1.28");
      s.replicas = 3;
    });
    const seen = await waitFor(async () => {
      const got = await get("paused");
      const cond = got.status?.conditions.find((c) => c.type === "Progressing");
      return cond?.reason === "DeploymentPaused" && got.status!.replicas === 3 && got.status!.availableReplicas === 3 ? got : undefined;
    }, { message: "paused and scaled to 3" });
    assert.equal(seen.status!.updatedReplicas, 0);
    assert.equal((await replicaSetsOf(d)).length, 1);
    await updateSpec("paused", (s) => {
      s.paused = false;
    });
    await waitComplete("paused", 3);
    assert.equal((await replicaSetsOf(d)).length, 2);
  });

  it("pods that never become ready end in Progressing=False ProgressDeadlineExceeded", async () => {
    // Bound to a node no stand-in kubelet runs: the pods stay Pending.
    await createDeployment("stuck", 2, { progressDeadlineSeconds: 2, template: template("stuck", "nginx:1.27", { nodeName: "no-such-node" }) });
    const d = await waitFor(async () => {
      const got = await get("stuck");
      const cond = got.status?.conditions.find((c) => c.type === "Progressing");
      return cond?.status === "False" ? got : undefined;
    }, { timeoutMs: 15_000, message: "Progressing=False" });
    const progressing = d.status!.conditions.find((c) => c.type === "Progressing")!;
    assert.equal(progressing.reason, "ProgressDeadlineExceeded");
    const available = d.status!.conditions.find((c) => c.type === "Available")!;
    assert.deepEqual([available.status, available.reason], ["False", "MinimumReplicasUnavailable"]);
    assert.equal(d.status!.unavailableReplicas, 2);
  });
});
