// Integration tests of the garbage collector: background, foreground and orphan propagation, dangling owners.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { isNotFound, kindFor, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { waitFor } from "@kubeplane/testing";
import { pods, startCmCluster, type CmCluster } from "./harness.js";

const replicaSets = kindFor("apps/v1", "ReplicaSet")!;
const deployments = kindFor("apps/v1", "Deployment")!;
const ns = "default";
let cluster: CmCluster;

before(async () => {
  cluster = await startCmCluster();
  const cm = await cluster.startControllerManager({ controllers: ["garbagecollector"] });
  // The collector's caches (one informer per watched kind) are filled before any test acts.
  await cm.manager.informers.waitForCacheSync(AbortSignal.timeout(30_000));
});

after(async () => {
  await cluster?.stop();
});

/** A ReplicaSet with no replicas: an owner no controller acts on (`owner` makes it a dependent too). */
async function createOwner(name: string, owner?: JsonObject): Promise<ApiObject> {
  const manifest = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name, namespace: ns, ownerReferences: owner ? [owner] : [] },
    spec: { replicas: 0, selector: { matchLabels: { owner: name } }, template: { metadata: { labels: { owner: name } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
  };
  await cluster.client.json.create(replicaSets, manifest);
  return cluster.client.get(replicaSets, ns, name);
}

function ownerRef(owner: { name: string; uid: string }, blockOwnerDeletion = true): JsonObject {
  return { apiVersion: "apps/v1", kind: "ReplicaSet", name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion };
}

async function createPod(name: string, ownerReferences: JsonObject[], finalizers: string[] = []): Promise<void> {
  await cluster.client.json.create(pods, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, ownerReferences, finalizers },
    spec: { containers: [{ name: "c", image: "busybox" }] },
  });
}

async function find(kind: KindInfo, name: string): Promise<ApiObject | undefined> {
  try {
    return await cluster.client.get(kind, ns, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function gone(kind: KindInfo, name: string): Promise<boolean> {
  return (await find(kind, name)) === undefined;
}

function refOf(owner: ApiObject): { name: string; uid: string } {
  return { name: owner.metadata!.name, uid: owner.metadata!.uid };
}

test("deleting an owner in the background deletes its dependents", async () => {
  const owner = await createOwner("bg");
  for (const i of [0, 1, 2]) await createPod(`bg-${i}`, [ownerRef(refOf(owner))]);
  await cluster.client.delete(replicaSets, ns, "bg", { propagationPolicy: "Background" });
  await waitFor(async () => (await Promise.all([0, 1, 2].map((i) => gone(pods, `bg-${i}`)))).every(Boolean), { timeoutMs: 15_000, message: "dependents of bg deleted" });
  assert.ok(await gone(replicaSets, "bg"));
});

test("foreground deletion keeps the owner until its blocking dependents are gone", async () => {
  const owner = await createOwner("fg");
  await createPod("fg-0", [ownerRef(refOf(owner))]);
  await createPod("fg-1", [ownerRef(refOf(owner))]);
  // fg-held cannot go until the test removes its finalizer: the owner must wait for it.
  await createPod("fg-held", [ownerRef(refOf(owner))], ["kubeplane.test/hold"]);
  await cluster.client.delete(replicaSets, ns, "fg", { propagationPolicy: "Foreground" });

  const held = await waitFor(async () => {
    const pod = await find(pods, "fg-held");
    return (await gone(pods, "fg-0")) && (await gone(pods, "fg-1")) && pod?.metadata?.deletionTimestamp ? pod : undefined;
  }, { timeoutMs: 15_000, message: "fg's free dependents deleted and fg-held being deleted" });
  const waiting = await find(replicaSets, "fg");
  assert.ok(waiting?.metadata?.deletionTimestamp, "the owner is being deleted");
  assert.ok(waiting.metadata.finalizers.includes("foregroundDeletion"), "the owner waits on foregroundDeletion");

  const release = pods.codec.fromPartial(held);
  release.metadata!.finalizers = [];
  await cluster.client.update(pods, release);
  await waitFor(() => gone(replicaSets, "fg"), { timeoutMs: 15_000, message: "owner fg deleted once its dependents are gone" });
  assert.ok(await gone(pods, "fg-held"));
});

test("orphan deletion removes the owner and leaves its dependents without the reference", async () => {
  const owner = await createOwner("orph");
  await createPod("orph-0", [ownerRef(refOf(owner))]);
  await createPod("orph-1", [ownerRef(refOf(owner))]);
  await cluster.client.delete(replicaSets, ns, "orph", { propagationPolicy: "Orphan" });
  await waitFor(() => gone(replicaSets, "orph"), { timeoutMs: 15_000, message: "owner orph deleted" });
  for (const name of ["orph-0", "orph-1"]) {
    const pod = await find(pods, name);
    assert.ok(pod, `${name} still exists`);
    assert.deepEqual(pod.metadata?.ownerReferences, [], `${name} lost its ownerReference`);
    assert.ok(!pod.metadata?.deletionTimestamp, `${name} is not being deleted`);
  }
});

test("a dependent whose owner never existed is collected; one with a live owner stays", async () => {
  const live = await createOwner("alive");
  await createPod("dangling", [ownerRef({ name: "ghost", uid: randomUUID() })]);
  await createPod("owned", [ownerRef(refOf(live))]);
  await waitFor(() => gone(pods, "dangling"), { timeoutMs: 15_000, message: "pod with a dangling owner collected" });
  assert.ok(await find(pods, "owned"), "a pod whose owner exists is kept");
});

test("an owner re-created under the same name does not save the old one's dependents", async () => {
  const first = await createOwner("again");
  await cluster.client.delete(replicaSets, ns, "again", { propagationPolicy: "Orphan" });
  await waitFor(() => gone(replicaSets, "again"), { timeoutMs: 15_000, message: "first again deleted" });
  await createOwner("again");
  await createPod("again-stale", [ownerRef(refOf(first))]);
  await waitFor(() => gone(pods, "again-stale"), { timeoutMs: 15_000, message: "pod owned by the old uid collected" });
  assert.ok(await find(replicaSets, "again"));
});

test("a dependent with one owner gone and one alive loses only the dangling reference", async () => {
  const live = await createOwner("keeper");
  const ghost = { name: "ghost-2", uid: randomUUID() };
  await createPod("half", [ownerRef(refOf(live)), { ...ownerRef(ghost), controller: false }]);
  const pod = await waitFor(async () => {
    const p = await find(pods, "half");
    return p && p.metadata!.ownerReferences.length === 1 ? p : undefined;
  }, { timeoutMs: 15_000, message: "the dangling reference dropped" });
  assert.equal(pod.metadata!.ownerReferences[0]!.uid, live.metadata!.uid);
  assert.ok(!pod.metadata!.deletionTimestamp, "the pod is not being deleted");
});

test("foreground deletion cascades: a Deployment waits for its ReplicaSet, which waits for its pods", async () => {
  await cluster.client.json.create(deployments, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "tree", namespace: ns },
    spec: { replicas: 0, selector: { matchLabels: { tree: "yes" } }, template: { metadata: { labels: { tree: "yes" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
  });
  const deployment = await cluster.client.get(deployments, ns, "tree");
  const rs = await createOwner("tree-rs", { apiVersion: "apps/v1", kind: "Deployment", name: "tree", uid: deployment.metadata!.uid, controller: true, blockOwnerDeletion: true });
  await createPod("tree-pod-0", [ownerRef(refOf(rs))]);
  await createPod("tree-pod-held", [ownerRef(refOf(rs))], ["kubeplane.test/hold"]);
  await cluster.client.delete(deployments, ns, "tree", { propagationPolicy: "Foreground" });

  const held = await waitFor(async () => {
    const [pod, set] = await Promise.all([find(pods, "tree-pod-held"), find(replicaSets, "tree-rs")]);
    return (await gone(pods, "tree-pod-0")) && pod?.metadata?.deletionTimestamp && set?.metadata?.finalizers.includes("foregroundDeletion") ? pod : undefined;
  }, { timeoutMs: 15_000, message: "the ReplicaSet deleted in the foreground and its free pod gone" });
  assert.ok((await find(deployments, "tree"))?.metadata?.deletionTimestamp, "the Deployment waits for its ReplicaSet");

  const release = pods.codec.fromPartial(held);
  release.metadata!.finalizers = [];
  await cluster.client.update(pods, release);
  await waitFor(async () => (await gone(deployments, "tree")) && (await gone(replicaSets, "tree-rs")) && (await gone(pods, "tree-pod-held")), {
    timeoutMs: 15_000,
    message: "the whole tree deleted",
  });
});
