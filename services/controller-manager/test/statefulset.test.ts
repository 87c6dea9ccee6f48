// Integration tests of the StatefulSet controller on a real apiserver, etcd and NATS, with stand-in kubelets.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { coreV1Pod } from "@kubeplane/api";
import { appsV1StatefulSet, kindFor, type KindInfo } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { eventsAbout, pods, startCmCluster, startFakeKubelets, type CmCluster } from "./harness.js";

type Pod = coreV1Pod.Pod;
const statefulSets = kindFor("apps/v1", "StatefulSet") as KindInfo<appsV1StatefulSet.StatefulSet>;
const claims = kindFor("v1", "PersistentVolumeClaim")!;
const ns = "default";

/** One pod watch event, reduced to what ordering assertions need. */
interface Seen {
  type: string;
  name: string;
  revision: number;
  ready: boolean;
  deleting: boolean;
}

let cluster: CmCluster;
const stop = new AbortController();
let kubelets: Promise<void>;
const history: Seen[] = [];
let watching: Promise<void>;

before(async () => {
  cluster = await startCmCluster();
  await cluster.startControllerManager({ controllers: ["statefulset"] });
  kubelets = startFakeKubelets(cluster, ["n1", "n2"], stop.signal, { readyDelayMs: 150 });
  watching = (async () => {
    for await (const ev of cluster.client.watch(pods, { namespace: ns, signal: stop.signal })) {
      const pod = ev.object as Pod;
      history.push({
        type: ev.type,
        name: pod.metadata!.name,
        revision: ev.revision,
        ready: pod.status?.phase === "Running" && (pod.status.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false),
        deleting: Boolean(pod.metadata?.deletionTimestamp),
      });
    }
  })();
});

after(async () => {
  stop.abort();
  await Promise.allSettled([kubelets, watching]);
  await cluster.stop();
});

const first = (pred: (s: Seen) => boolean): number => history.find(pred)?.revision ?? Number.POSITIVE_INFINITY;

async function getSet(): Promise<appsV1StatefulSet.StatefulSet> {
  return (await cluster.client.get(statefulSets, ns, "web")) as appsV1StatefulSet.StatefulSet;
}

async function livePods(): Promise<Pod[]> {
  const list = await cluster.client.list(pods, { namespace: ns });
  return (list.items as Pod[]).filter((p) => !p.metadata?.deletionTimestamp).sort((a, b) => (a.metadata!.name < b.metadata!.name ? -1 : 1));
}

test("a StatefulSet creates ordinals in order with their claims, updates above the partition, and scales down in reverse keeping claims", async () => {
  await cluster.client.create(
    statefulSets,
    appsV1StatefulSet.StatefulSet.fromPartial({
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "web", namespace: ns },
      spec: {
        replicas: 3,
        serviceName: "web",
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", image: "web:v1" }] } },
        volumeClaimTemplates: [
          { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
        ],
      },
    }),
  );
  await waitFor(async () => {
    const s = (await getSet()).status;
    return s?.readyReplicas === 3 && s.replicas === 3 && s.currentRevision !== "" && s.currentRevision === s.updateRevision;
  }, { timeoutMs: 30_000, message: "3 ready replicas" });

  for (let i = 1; i < 3; i++) {
    const created = first((s) => s.type === "ADDED" && s.name === `web-${i}`);
    const prevReady = first((s) => s.name === `web-${i - 1}` && s.ready);
    assert.ok(created > prevReady, `web-${i} created (rev ${created}) only after web-${i - 1} was Ready (rev ${prevReady})`);
  }
  for (const pod of await livePods()) {
    const i = pod.metadata!.name.slice("web-".length);
    assert.equal(pod.metadata?.labels["statefulset.kubernetes.io/pod-name"], pod.metadata!.name);
    assert.equal(pod.metadata?.labels["apps.kubernetes.io/pod-index"], i);
    assert.equal(pod.spec?.hostname, pod.metadata!.name);
    assert.equal(pod.spec?.subdomain, "web");
    assert.equal(pod.spec?.volumes.find((v) => v.name === "data")?.persistentVolumeClaim?.claimName, `data-web-${i}`);
  }
  const claimNames = async (): Promise<string[]> => (await cluster.client.list(claims, { namespace: ns })).items.map((c) => c.metadata!.name).sort();
  assert.deepEqual(await claimNames(), ["data-web-0", "data-web-1", "data-web-2"]);

  // A rolling update with partition 1: ordinals 2 then 1 move to the new revision, 0 keeps the old.
  const oldRevision = (await getSet()).status!.currentRevision;
  await cluster.client.patch(statefulSets, ns, "web", {
    spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 1 } }, template: { spec: { containers: [{ name: "app", image: "web:v2" }] } } },
  });
  const updated = await waitFor(async () => {
    const set = await getSet();
    const s = set.status;
    return s && s.observedGeneration === set.metadata?.generation && s.updatedReplicas === 2 && s.readyReplicas === 3 && s.updateRevision !== oldRevision ? set : undefined;
  }, { timeoutMs: 30_000, message: "ordinals 1 and 2 updated" });
  const byName = new Map((await livePods()).map((p) => [p.metadata!.name, p]));
  assert.equal(byName.get("web-0")?.metadata?.labels["controller-revision-hash"], oldRevision, "web-0 is below the partition");
  assert.equal(byName.get("web-0")?.spec?.containers[0]?.image, "web:v1");
  for (const name of ["web-1", "web-2"]) {
    assert.equal(byName.get(name)?.metadata?.labels["controller-revision-hash"], updated.status!.updateRevision);
    assert.equal(byName.get(name)?.spec?.containers[0]?.image, "web:v2");
  }
  assert.equal(updated.status!.currentRevision, oldRevision, "the rollout is not complete while web-0 is old");
  assert.ok(first((s) => s.name === "web-2" && s.deleting) < first((s) => s.name === "web-1" && s.deleting), "updates go from the highest ordinal down");

  // Scale to 0: pods go highest first, each only after the one above is gone; claims stay.
  const mark = history.length;
  await cluster.client.patch(statefulSets, ns, "web", { spec: { replicas: 0 } });
  await waitFor(async () => (await livePods()).length === 0 && (await getSet()).status?.replicas === 0, { timeoutMs: 30_000, message: "scaled to 0" });
  await waitFor(() => history.slice(mark).filter((s) => s.type === "DELETED").length === 3, { timeoutMs: 10_000, message: "3 deletions seen" });
  const after = history.slice(mark);
  const marked = (n: string): number => after.find((s) => s.name === n && s.deleting)?.revision ?? Number.POSITIVE_INFINITY;
  const gone = (n: string): number => after.find((s) => s.name === n && s.type === "DELETED")?.revision ?? Number.POSITIVE_INFINITY;
  assert.ok(gone("web-2") < marked("web-1"), "web-1 is deleted only after web-2 is gone");
  assert.ok(gone("web-1") < marked("web-0"), "web-0 is deleted only after web-1 is gone");
  assert.deepEqual(await claimNames(), ["data-web-0", "data-web-1", "data-web-2"], "claims survive scale-down");

  // Kubernetes' statefulset-controller events, once per action: 3 claims, 3 + 2 pod creates, 2 + 3 pod deletes.
  const uid = (await getSet()).metadata!.uid;
  const count = (all: readonly { message: string; count: number }[], message: string): number => all.filter((e) => e.message === message).reduce((n, e) => n + e.count, 0);
  const all = await waitFor(async () => {
    const found = await eventsAbout(cluster, ns, uid);
    return count(found, "delete Pod web-0 in StatefulSet web successful") === 1 ? found : undefined;
  }, { timeoutMs: 10_000, message: "the last deletion's event" });
  for (const i of [0, 1, 2]) assert.equal(count(all, `create Claim data-web-${i} Pod web-${i} in StatefulSet web success`), 1, `claim data-web-${i}`);
  assert.equal(count(all, "create Pod web-0 in StatefulSet web successful"), 1, "web-0 created once (below the partition)");
  for (const i of [1, 2]) {
    assert.equal(count(all, `create Pod web-${i} in StatefulSet web successful`), 2, `web-${i} created, then re-created by the update`);
    assert.equal(count(all, `delete Pod web-${i} in StatefulSet web successful`), 2, `web-${i} deleted by the update and by the scale-down`);
  }
  assert.ok(all.every((e) => e.source?.component === "statefulset-controller" && e.type === "Normal"));
});
