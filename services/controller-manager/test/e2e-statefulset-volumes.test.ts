// StatefulSet storage end to end, inside a network namespace of the test's own: the StatefulSet
// controller makes `<claim>-<set>-<ordinal>` claims, the cloud-controller-manager binds them
// through the default local-path class once the scheduler has placed each pod, a real kubelet
// mounts them; data outlives a deleted pod, and whenScaled=Delete removes a scaled-away claim.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { appsV1StatefulSet, coreV1Pod, coreV1Volume } from "@kubeplane/api";
import { isNotFound, kindFor, storageV1, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { BUSYBOX_IMAGE, clientTls, enterTestNetns, runKpctl, serviceEntry, startControlPlane, startNodeStack, startServiceProcess, waitFor, type ControlPlane, type NodeStack, type ServiceProcess } from "@kubeplane/testing";

await enterTestNetns(import.meta.url);

const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const claims = kindFor("v1", "PersistentVolumeClaim") as KindInfo<coreV1Volume.PersistentVolumeClaim>;
const statefulSets = kindFor("apps/v1", "StatefulSet") as KindInfo<appsV1StatefulSet.StatefulSet>;
const storageClasses = kindFor("storage.k8s.io/v1", "StorageClass") as KindInfo<storageV1.StorageClass>;
const NODE = "node-a";

describe("StatefulSet volume claims on a real node", () => {
  let cp: ControlPlane | undefined;
  let node: NodeStack | undefined;
  let dir = "";
  const processes: ServiceProcess[] = [];
  let client: ApiClient;

  const kpctl = (...args: string[]): ReturnType<typeof runKpctl> => runKpctl(cp!.apiserver.grpcAddress, args);
  const start = async (name: string, flags: Record<string, string>): Promise<void> => {
    processes.push(await startServiceProcess({ entry: serviceEntry(name), flags: { apiserver: cp!.apiserver.grpcAddress, "nats-url": cp!.nats.url, ...flags }, readyTimeoutMs: 60_000 }));
  };
  const getPod = async (name: string): Promise<coreV1Pod.Pod | undefined> => {
    try {
      return (await client.get(pods, "default", name)) as coreV1Pod.Pod;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const readyPod = (name: string, notUid = ""): Promise<coreV1Pod.Pod> =>
    waitFor(async () => {
      const pod = await getPod(name);
      const ready = pod?.status?.conditions.some((c) => c.type === "Ready" && c.status === "True");
      return pod && ready && pod.metadata!.uid !== notUid && !pod.metadata?.deletionTimestamp ? pod : undefined;
    }, { timeoutMs: 90_000, intervalMs: 250, message: `pod ${name} Ready` });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "kp-sts-volumes-"));
    // The bare-metal provider needs its config; this test uses only its local-path volumes.
    await writeFile(join(dir, "inventory.yaml"), "machines: []\n");
    await writeFile(join(dir, "cloud.yaml"), "inventory: { file: inventory.yaml }\nloadBalancer: { pools: [] }\n");
    cp = await startControlPlane();
    client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
    node = await startNodeStack(cp, { nodeName: NODE, podCidr: "10.88.20.0/24", kubeletFlags: { "sync-frequency": "2s" } });
    await client.create(storageClasses, storageV1.StorageClass.fromPartial({
      metadata: { name: "local-path", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: "kubeplane.io/local-path",
      reclaimPolicy: "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
    }));
    await Promise.all([
      start("scheduler", { "leader-elect": "false" }),
      start("controller-manager", { "leader-elect": "false", controllers: "statefulset,garbagecollector" }),
      start("cloud-controller-manager", {
        "leader-elect": "false",
        controllers: "volume",
        "cloud-config": join(dir, "cloud.yaml"),
        "local-path-root": join(dir, "local-path"),
        "local-node-name": NODE,
      }),
    ]);
  });

  after(async () => {
    client?.close();
    await Promise.allSettled(processes.map((p) => p.kill()));
    await node?.stop();
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("a StatefulSet of 3 with a claim template mounted at /data runs 3 pods on bound claims; db-0's file survives deleting db-0", async () => {
    // As users write it: the template mounts "data", which only volumeClaimTemplates provides; no storageClassName.
    const manifest = {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "db", namespace: "default" },
      spec: {
        serviceName: "db",
        replicas: 3,
        selector: { matchLabels: { app: "db" } },
        persistentVolumeClaimRetentionPolicy: { whenScaled: "Delete", whenDeleted: "Retain" },
        template: {
          metadata: { labels: { app: "db" } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [{ name: "db", image: BUSYBOX_IMAGE, command: ["sleep", "3600"], volumeMounts: [{ name: "data", mountPath: "/data" }] }],
          },
        },
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "64Mi" } } } }],
      },
    };
    const file = join(dir, "db.json");
    await writeFile(file, JSON.stringify(manifest));
    const applied = await kpctl("apply", "-f", file);
    assert.equal(applied.code, 0, applied.stderr);

    const db0 = await readyPod("db-0");
    await readyPod("db-1");
    await readyPod("db-2");
    for (const ordinal of [0, 1, 2]) {
      const claim = (await client.get(claims, "default", `data-db-${ordinal}`)) as coreV1Volume.PersistentVolumeClaim;
      assert.equal(claim.status?.phase, "Bound", `data-db-${ordinal} is Bound`);
      assert.equal(claim.spec?.storageClassName, "local-path", "the default class was assigned");
      const pod = (await getPod(`db-${ordinal}`))!;
      assert.equal(pod.spec?.volumes.find((v) => v.name === "data")?.persistentVolumeClaim?.claimName, `data-db-${ordinal}`);
    }

    const wrote = await kpctl("exec", "db-0", "--", "sh", "-c", "echo kept-by-db-0 > /data/marker && cat /data/marker");
    assert.equal(wrote.code, 0, wrote.stderr);
    assert.equal(wrote.stdout.trim(), "kept-by-db-0");
    const other = await kpctl("exec", "db-1", "--", "sh", "-c", "cat /data/marker 2>/dev/null || echo absent");
    assert.equal(other.stdout.trim(), "absent", "db-1 has its own volume");

    const deleted = await kpctl("delete", "pod", "db-0");
    assert.equal(deleted.code, 0, deleted.stderr);
    const db0Again = await readyPod("db-0", db0.metadata!.uid);
    assert.notEqual(db0Again.metadata!.uid, db0.metadata!.uid);
    const read = await kpctl("exec", "db-0", "--", "cat", "/data/marker");
    assert.equal(read.code, 0, JSON.stringify(read));
    assert.equal(read.stdout.trim(), "kept-by-db-0");
  });

  it("whenScaled=Delete removes the claim of a scaled-away ordinal and keeps the others", async () => {
    const scaled = await kpctl("scale", "statefulset", "db", "--replicas=2");
    assert.equal(scaled.code, 0, scaled.stderr);
    await waitFor(async () => {
      try {
        await client.get(claims, "default", "data-db-2");
        return false;
      } catch (err) {
        if (isNotFound(err)) return true;
        throw err;
      }
    }, { timeoutMs: 60_000, message: "claim data-db-2 deleted" });
    assert.equal(await getPod("db-2"), undefined);
    for (const ordinal of [0, 1]) {
      const claim = (await client.get(claims, "default", `data-db-${ordinal}`)) as coreV1Volume.PersistentVolumeClaim;
      assert.equal(claim.status?.phase, "Bound");
    }
  });
});
