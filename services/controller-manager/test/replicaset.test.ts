// Integration tests of the ReplicaSet and ReplicationController controllers on a real apiserver, etcd and NATS.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { appsV1ReplicaSet, coreV1Pod, coreV1ReplicationController, isNotFound, kindFor, type ApiObject, type KindInfo } from "@kubeplane/api";
import { Informer } from "@kubeplane/client";
import { waitFor } from "@kubeplane/testing";
import { eventsAbout, pods, startCmCluster, startFakeKubelets, type CmCluster } from "./harness.js";

type Pod = coreV1Pod.Pod;
type ReplicaSet = appsV1ReplicaSet.ReplicaSet;
type ReplicationController = coreV1ReplicationController.ReplicationController;

const replicaSets = kindFor("apps/v1", "ReplicaSet") as KindInfo<ReplicaSet>;
const replicationControllers = kindFor("v1", "ReplicationController") as KindInfo<ReplicationController>;
const ns = "default";

function template(app: string): coreV1Pod.PodTemplateSpec {
  return coreV1Pod.PodTemplateSpec.fromPartial({
    metadata: { labels: { app, tier: "web" }, annotations: { "example.com/from": "template" } },
    spec: { containers: [{ name: "app", image: "nginx:1.27" }] },
  });
}

function isActive(p: Pod): boolean {
  return !p.metadata?.deletionTimestamp && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed";
}

function controllerUid(p: Pod): string | undefined {
  return p.metadata?.ownerReferences.find((r) => r.controller)?.uid;
}

describe("replicaset controller", () => {
  let cluster: CmCluster;
  const kubelets = new AbortController();
  let kubeletsDone: Promise<void>;
  /** Every pod uid ever seen, by controller uid: extra creates would show here even after their deletion. */
  const everCreated = new Map<string, Set<string>>();
  const recorder = new AbortController();
  let recorderDone: Promise<void>;

  before(async () => {
    cluster = await startCmCluster();
    kubeletsDone = startFakeKubelets(cluster, ["node-1", "node-2"], kubelets.signal);
    const informer = new Informer({ client: cluster.client, watch: cluster.watch, kind: pods });
    informer.addEventHandler({
      onAdd: (p) => {
        const owner = p.metadata?.ownerReferences.find((r) => r.controller)?.uid;
        if (!owner) return;
        if (!everCreated.has(owner)) everCreated.set(owner, new Set());
        everCreated.get(owner)!.add(p.metadata!.uid);
      },
    });
    recorderDone = informer.run(recorder.signal);
    await cluster.startControllerManager({ controllers: ["replicaset", "replicationcontroller"] });
  });

  after(async () => {
    kubelets.abort();
    recorder.abort();
    await Promise.allSettled([kubeletsDone, recorderDone]);
    await cluster?.stop();
  });

  async function podsOf(uid: string): Promise<Pod[]> {
    const list = await cluster.client.list(pods, { namespace: ns });
    return (list.items as Pod[]).filter((p) => controllerUid(p) === uid && isActive(p));
  }

  async function waitForPods(uid: string, count: number, message: string, timeoutMs = 10_000): Promise<Pod[]> {
    return waitFor(async () => {
      const found = await podsOf(uid);
      return found.length === count ? found : undefined;
    }, { timeoutMs, message });
  }

  async function createReplicaSet(name: string, replicas: number, extra: Partial<appsV1ReplicaSet.ReplicaSetSpec> = {}): Promise<ReplicaSet> {
    const rs = appsV1ReplicaSet.ReplicaSet.fromPartial({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name, namespace: ns },
      spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name), ...extra },
    });
    return (await cluster.client.create(replicaSets, rs)) as ReplicaSet;
  }

  async function statusOf<T extends ApiObject & { status?: { replicas?: number; readyReplicas: number; availableReplicas: number } }>(
    kind: KindInfo<T>,
    name: string,
  ): Promise<T> {
    return (await cluster.client.get(kind, ns, name)) as T;
  }

  it("a ReplicaSet of 3 makes exactly 3 pods from its template, controlled by it", async () => {
    const rs = await createReplicaSet("web", 3);
    const uid = rs.metadata!.uid;
    const made = await waitForPods(uid, 3, "3 pods of web");
    for (const pod of made) {
      assert.match(pod.metadata!.name, /^web-[a-z0-9]{5}$/);
      assert.equal(pod.metadata!.labels["app"], "web");
      assert.equal(pod.metadata!.annotations["example.com/from"], "template");
      assert.equal(pod.spec!.containers[0]!.image, "nginx:1.27");
      const ref = pod.metadata!.ownerReferences[0]!;
      assert.deepEqual({ kind: ref.kind, name: ref.name, controller: ref.controller, block: ref.blockOwnerDeletion }, { kind: "ReplicaSet", name: "web", controller: true, block: true });
    }
    const current = await waitFor(async () => {
      const got = await statusOf(replicaSets, "web");
      return got.status?.readyReplicas === 3 && got.status.availableReplicas === 3 ? got : undefined;
    }, { message: "web ready and available" });
    assert.equal(current.status!.replicas, 3);
    assert.equal(current.status!.fullyLabeledReplicas, 3);
    assert.equal(current.status!.observedGeneration, current.metadata!.generation);
    // Expectations kept in-flight creates from being repeated: no pod was made and thrown away.
    assert.equal(everCreated.get(uid)?.size, 3);
  });

  it("a deleted pod is replaced", async () => {
    const rs = await statusOf(replicaSets, "web");
    const uid = rs.metadata!.uid;
    const [victim] = await podsOf(uid);
    await cluster.client.delete(pods, ns, victim!.metadata!.name);
    const now = await waitFor(async () => {
      const found = await podsOf(uid);
      return found.length === 3 && !found.some((p) => p.metadata!.uid === victim!.metadata!.uid) ? found : undefined;
    }, { message: "a replacement pod" });
    assert.equal(now.length, 3);
  });

  it("scaling to 10 and back to 2 converges", async () => {
    const rs = await statusOf(replicaSets, "web");
    const uid = rs.metadata!.uid;
    await cluster.client.updateScale(replicaSets, ns, "web", 10);
    await waitForPods(uid, 10, "10 pods of web");
    await waitFor(async () => (await statusOf(replicaSets, "web")).status?.readyReplicas === 10, { message: "10 ready" });
    await cluster.client.updateScale(replicaSets, ns, "web", 2);
    await waitForPods(uid, 2, "2 pods of web");
    const final = await waitFor(async () => {
      const got = await statusOf(replicaSets, "web");
      return got.status?.replicas === 2 && got.status.readyReplicas === 2 ? got : undefined;
    }, { message: "web status at 2" });
    assert.equal(final.status!.availableReplicas, 2);
    // The kubelets remove the deleted ones; nothing comes back.
    await waitFor(async () => {
      const all = (await cluster.client.list(pods, { namespace: ns })).items as Pod[];
      return all.filter((p) => controllerUid(p) === uid).length === 2;
    }, { message: "scaled-down pods gone" });
  });

  it("a failed pod no longer counts and is replaced, but left in place", async () => {
    const rs = await statusOf(replicaSets, "web");
    const uid = rs.metadata!.uid;
    const [victim] = await podsOf(uid);
    const failed = coreV1Pod.Pod.fromPartial(victim!);
    failed.status = coreV1Pod.PodStatus.fromPartial({ ...victim!.status, phase: "Failed", conditions: [] });
    await cluster.client.updateStatus(pods, failed);
    const now = await waitFor(async () => {
      const found = await podsOf(uid);
      return found.length === 2 && !found.some((p) => p.metadata!.uid === victim!.metadata!.uid) ? found : undefined;
    }, { message: "a replacement for the failed pod" });
    assert.equal(now.length, 2);
    const still = (await cluster.client.get(pods, ns, victim!.metadata!.name)) as Pod;
    assert.equal(still.status!.phase, "Failed");
    await waitFor(async () => (await statusOf(replicaSets, "web")).status?.readyReplicas === 2, { message: "web ready at 2" });
  });

  it("adopts a matching orphan (which counts) and releases a pod relabelled out of the selector", async () => {
    const rs = await createReplicaSet("shop", 2);
    const uid = rs.metadata!.uid;
    await waitForPods(uid, 2, "2 pods of shop");

    const orphan = coreV1Pod.Pod.fromPartial({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "shop-orphan", namespace: ns, labels: { app: "shop", tier: "web" } },
      spec: { containers: [{ name: "app", image: "nginx:1.27" }] },
    });
    await cluster.client.create(pods, orphan);
    await waitFor(async () => {
      const pod = (await cluster.client.get(pods, ns, "shop-orphan").catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)))) as Pod | undefined;
      if (pod && controllerUid(pod) === uid) return true;
      // Adopted, then at once deleted as the third pod (the newest goes first): only an owner deletes, and says so.
      return (await eventsAbout(cluster, ns, uid, "SuccessfulDelete")).some((e) => e.message === "Deleted pod: shop-orphan");
    }, { message: "the orphan adopted" });
    // It counts: one of the three is deleted to get back to two.
    await waitForPods(uid, 2, "shop back to 2 with the orphan counted");

    const [moved] = await podsOf(uid);
    await cluster.client.patch(pods, ns, moved!.metadata!.name, { metadata: { labels: { app: "elsewhere" } } });
    const released = await waitFor(async () => {
      const pod = (await cluster.client.get(pods, ns, moved!.metadata!.name)) as Pod;
      return controllerUid(pod) === undefined ? pod : undefined;
    }, { message: "the relabelled pod released" });
    assert.equal(released.metadata!.ownerReferences.length, 0);
    assert.ok(isActive(released), "a released pod is left running");
    const kept = await waitForPods(uid, 2, "a replacement for the released pod");
    assert.ok(!kept.some((p) => p.metadata!.uid === released.metadata!.uid));
  });

  it("counts pods available only after minReadySeconds", async () => {
    await createReplicaSet("slow", 2, { minReadySeconds: 2 });
    const ready = await waitFor(async () => {
      const got = await statusOf(replicaSets, "slow");
      return got.status?.readyReplicas === 2 ? got : undefined;
    }, { message: "slow ready" });
    assert.ok(ready.status!.availableReplicas < 2, "ready pods are not yet available");
    await waitFor(async () => (await statusOf(replicaSets, "slow")).status?.availableReplicas === 2, { message: "slow available", timeoutMs: 8000 });
  });

  it("a ReplicationController keeps its replicas, replaces pods and reports status the same way", async () => {
    const rc = coreV1ReplicationController.ReplicationController.fromPartial({
      apiVersion: "v1",
      kind: "ReplicationController",
      metadata: { name: "legacy", namespace: ns },
      spec: { replicas: 2, selector: { app: "legacy" }, template: template("legacy") },
    });
    const created = (await cluster.client.create(replicationControllers, rc)) as ReplicationController;
    const uid = created.metadata!.uid;
    const made = await waitForPods(uid, 2, "2 pods of legacy");
    assert.equal(made[0]!.metadata!.ownerReferences[0]!.kind, "ReplicationController");
    assert.match(made[0]!.metadata!.name, /^legacy-[a-z0-9]{5}$/);

    await cluster.client.delete(pods, ns, made[0]!.metadata!.name);
    await waitFor(async () => {
      const found = await podsOf(uid);
      return found.length === 2 && !found.some((p) => p.metadata!.uid === made[0]!.metadata!.uid);
    }, { message: "legacy pod replaced" });

    // The controller writes status meanwhile; an update that loses that race is read again.
    await waitFor(async () => {
      const current = (await cluster.client.get(replicationControllers, ns, "legacy")) as ReplicationController;
      current.spec!.replicas = 4;
      return cluster.client.update(replicationControllers, current);
    }, { message: "legacy scaled to 4" });
    await waitForPods(uid, 4, "4 pods of legacy");
    const status = await waitFor(async () => {
      const got = await statusOf(replicationControllers, "legacy");
      return got.status?.readyReplicas === 4 && got.status.availableReplicas === 4 ? got : undefined;
    }, { message: "legacy ready" });
    assert.equal(status.status!.replicas, 4);
    assert.equal(status.status!.observedGeneration, status.metadata!.generation);
  });
});
