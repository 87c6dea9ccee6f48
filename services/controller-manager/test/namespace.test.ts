// Integration tests of the namespace controller: a deleted namespace is emptied, then removed.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { isNotFound, kindFor, type coreV1Config, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { pods, startCmCluster, startFakeKubelets, type CmCluster } from "./harness.js";

const namespaces = kindFor("v1", "Namespace") as KindInfo<coreV1Config.Namespace>;
const configMaps = kindFor("v1", "ConfigMap")!;
const secrets = kindFor("v1", "Secret")!;
let cluster: CmCluster;
const kubelets = new AbortController();
let kubeletsDone: Promise<void> | undefined;

before(async () => {
  cluster = await startCmCluster();
  const cm = await cluster.startControllerManager({ controllers: ["namespace"] });
  await cm.manager.informers.waitForCacheSync(AbortSignal.timeout(30_000));
  kubeletsDone = startFakeKubelets(cluster, ["node-a", "node-b"], kubelets.signal);
});

after(async () => {
  kubelets.abort();
  await kubeletsDone?.catch(() => undefined);
  await cluster?.stop();
});

async function findNamespace(name: string): Promise<coreV1Config.Namespace | undefined> {
  try {
    return await cluster.client.get(namespaces, "", name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function countIn(namespace: string): Promise<number> {
  const lists = await Promise.all([pods, configMaps, secrets].map((k) => cluster.client.list(k, { namespace })));
  return lists.reduce((n, l) => n + l.items.length, 0);
}

async function createNamespace(name: string): Promise<void> {
  await cluster.client.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
}

test("deleting a namespace deletes its configmaps, secrets and running pods, then the namespace", async () => {
  const ns = "doomed";
  await createNamespace(ns);
  for (const i of [0, 1]) {
    await cluster.client.json.create(configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${i}`, namespace: ns }, data: { k: "v" } });
    await cluster.client.json.create(pods, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `pod-${i}`, namespace: ns },
      spec: { containers: [{ name: "c", image: "busybox" }] },
    });
  }
  await cluster.client.json.create(secrets, { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: ns }, stringData: { password: "x" } });
  // Running pods are deleted gracefully: their (fake) kubelet finishes them.
  await waitFor(async () => (await cluster.client.list(pods, { namespace: ns })).items.every((p) => (p as coreV1Pod.Pod).status?.phase === "Running"), {
    timeoutMs: 15_000,
    message: "pods running",
  });
  assert.equal(await countIn(ns), 5);

  await cluster.client.delete(namespaces, "", ns);
  const terminating = await findNamespace(ns);
  assert.equal(terminating?.status?.phase, "Terminating");
  await waitFor(async () => (await countIn(ns)) === 0, { timeoutMs: 30_000, message: `namespace ${ns} emptied` });
  await waitFor(async () => (await findNamespace(ns)) === undefined, { timeoutMs: 15_000, message: `namespace ${ns} removed` });
});

test("a namespace waits for content held by a finalizer and says so in its conditions", async () => {
  const ns = "held";
  await createNamespace(ns);
  await cluster.client.json.create(configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "pinned", namespace: ns, finalizers: ["kubeplane.test/hold"] } });
  await cluster.client.json.create(configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "free", namespace: ns } });
  await cluster.client.delete(namespaces, "", ns);

  const stuck = await waitFor(async () => {
    const n = await findNamespace(ns);
    const remaining = n?.status?.conditions.find((c) => c.type === "NamespaceFinalizersRemaining");
    return remaining?.status === "True" ? n : undefined;
  }, { timeoutMs: 15_000, message: "NamespaceFinalizersRemaining=True" });
  assert.match(stuck!.status!.conditions.find((c) => c.type === "NamespaceFinalizersRemaining")!.message, /configmaps: kubeplane\.test\/hold/);
  assert.equal(stuck!.status!.conditions.find((c) => c.type === "NamespaceContentRemaining")?.status, "True");
  assert.equal(stuck!.status!.conditions.find((c) => c.type === "NamespaceDeletionContentFailure")?.status, "False");
  assert.deepEqual(stuck!.spec?.finalizers, ["kubernetes"]);
  await waitFor(async () => {
    try {
      await cluster.client.get(configMaps, ns, "free");
      return false;
    } catch (err) {
      return isNotFound(err);
    }
  }, { timeoutMs: 15_000, message: "unpinned configmap deleted" });

  const pinned = await cluster.client.get(configMaps, ns, "pinned");
  assert.ok(pinned.metadata?.deletionTimestamp, "the pinned configmap is being deleted");
  const release = configMaps.codec.fromPartial(pinned);
  release.metadata!.finalizers = [];
  await cluster.client.update(configMaps, release);
  await waitFor(async () => (await findNamespace(ns)) === undefined, { timeoutMs: 15_000, message: `namespace ${ns} removed` });
});
