// Integration test of a StatefulSet's persistentVolumeClaimRetentionPolicy on a real apiserver with stand-in kubelets: whenDeleted and whenScaled.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { appsV1StatefulSet, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { startCmCluster, startFakeKubelets, type CmCluster } from "./harness.js";

const statefulSets = kindFor("apps/v1", "StatefulSet") as KindInfo<appsV1StatefulSet.StatefulSet>;
const claims = kindFor("v1", "PersistentVolumeClaim")!;
const ns = "default";

let cluster: CmCluster;
const stop = new AbortController();
let kubelets: Promise<void>;

before(async () => {
  cluster = await startCmCluster();
  await cluster.startControllerManager({ controllers: ["statefulset", "garbagecollector"] });
  kubelets = startFakeKubelets(cluster, ["n1"], stop.signal, { readyDelayMs: 50 });
});

after(async () => {
  stop.abort();
  await Promise.allSettled([kubelets]);
  await cluster.stop();
});

function statefulSet(name: string, whenDeleted: string, whenScaled: string): appsV1StatefulSet.StatefulSet {
  return appsV1StatefulSet.StatefulSet.fromPartial({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name, namespace: ns },
    spec: {
      serviceName: name,
      replicas: 2,
      podManagementPolicy: "Parallel",
      selector: { matchLabels: { app: name } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "db", image: "busybox:1.36", volumeMounts: [{ name: "data", mountPath: "/data" }] }] } },
      volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
    },
  });
}

const exists = async (name: string): Promise<boolean> => {
  try {
    await cluster.client.get(claims, ns, name);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
};

test("whenDeleted=Delete: the set's claims go with it; whenScaled=Retain: a scaled-away ordinal keeps its claim", async () => {
  await cluster.client.create(statefulSets, statefulSet("gone", "Delete", "Retain"));
  await waitFor(async () => (await exists("data-gone-0")) && (await exists("data-gone-1")), { timeoutMs: 20_000, message: "claims data-gone-0 and -1" });
  await cluster.client.updateScale(statefulSets, ns, "gone", 1);
  await waitFor(async () => (await cluster.client.list(kindFor("v1", "Pod")!, { namespace: ns, labelSelector: "app=gone" })).items.length === 1, { timeoutMs: 20_000, message: "gone scaled to 1" });
  assert.ok(await exists("data-gone-1"), "whenScaled=Retain keeps the claim of ordinal 1");
  await cluster.client.delete(statefulSets, ns, "gone");
  await waitFor(async () => !(await exists("data-gone-0")) && !(await exists("data-gone-1")), { timeoutMs: 30_000, message: "claims of gone collected" });
});

test("whenDeleted=Retain (the default): the claims outlive the set", async () => {
  await cluster.client.create(statefulSets, statefulSet("kept", "Retain", "Retain"));
  await waitFor(async () => (await exists("data-kept-0")) && (await exists("data-kept-1")), { timeoutMs: 20_000, message: "claims data-kept-0 and -1" });
  await cluster.client.delete(statefulSets, ns, "kept");
  await waitFor(async () => (await cluster.client.list(kindFor("v1", "Pod")!, { namespace: ns, labelSelector: "app=kept" })).items.length === 0, { timeoutMs: 30_000, message: "pods of kept collected" });
  assert.ok((await exists("data-kept-0")) && (await exists("data-kept-1")));
});
