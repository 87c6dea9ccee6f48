// Integration test of the volume controllers on a real apiserver: local-path provisioning on the consumer's node, reclaim policies, static binding.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { coreV1Node, coreV1Pod, coreV1Volume, isNotFound, storageV1 } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { nodeKind } from "../src/controllers/cloud-node.js";
import { podKind, pvcKind, pvKind, storageClassKind, type PersistentVolume, type PersistentVolumeClaim } from "../src/controllers/volumes/kinds.js";
import { LOCAL_PATH_PROVISIONER } from "../src/provider/bare-metal/local-path.js";
import { startCcmCluster, type CcmCluster } from "./harness.js";

const NS = "vol";

function storageClass(name: string, reclaimPolicy: "Delete" | "Retain"): storageV1.StorageClass {
  return storageV1.StorageClass.fromPartial({ apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name }, provisioner: LOCAL_PATH_PROVISIONER, reclaimPolicy, volumeBindingMode: "WaitForFirstConsumer" });
}

function claim(name: string, storage: string, storageClassName: string, accessModes = ["ReadWriteOnce"]): PersistentVolumeClaim {
  return coreV1Volume.PersistentVolumeClaim.fromPartial({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: NS },
    spec: { accessModes, resources: { requests: { storage } }, storageClassName },
  });
}

function volume(name: string, storage: string, storageClassName: string, accessModes = ["ReadWriteOnce"]): PersistentVolume {
  return coreV1Volume.PersistentVolume.fromPartial({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: { capacity: { storage }, accessModes, storageClassName, hostPath: { path: `/srv/${name}` }, persistentVolumeReclaimPolicy: "Retain" },
  });
}

function podUsing(name: string, claimName: string, nodeName: string): coreV1Pod.Pod {
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NS },
    spec: { nodeName, containers: [{ name: "app", image: "busybox", volumeMounts: [{ name: "data", mountPath: "/data" }] }], volumes: [{ name: "data", persistentVolumeClaim: { claimName } }] },
  });
}

async function getOrUndefined<T>(get: () => Promise<unknown>): Promise<T | undefined> {
  try {
    return (await get()) as T;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

describe("volume controllers", () => {
  let cluster: CcmCluster;
  let root: string;
  const pvc = (name: string): Promise<PersistentVolumeClaim> => cluster.client.get(pvcKind, NS, name) as Promise<PersistentVolumeClaim>;
  const pv = (name: string): Promise<PersistentVolume | undefined> => getOrUndefined(() => cluster.client.get(pvKind, "", name));
  const boundClaim = (name: string): Promise<PersistentVolumeClaim> =>
    waitFor(async () => {
      const c = await pvc(name);
      return c.status?.phase === "Bound" ? c : undefined;
    }, { timeoutMs: 15_000, message: `claim ${name} to be Bound` });

  before(async () => {
    cluster = await startCcmCluster();
    root = join(cluster.dir, "local-path");
    await cluster.createNamespace(NS);
    for (const name of ["node-x", "node-y"]) {
      await cluster.client.create(nodeKind, coreV1Node.Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: { name, labels: { "kubernetes.io/hostname": name } } }));
    }
    await cluster.client.create(storageClassKind, storageClass("local-path", "Delete"));
    await cluster.client.create(storageClassKind, storageClass("local-path-retain", "Retain"));
    // This process plays node-x's cloud-controller-manager: it creates and removes node-x's directories.
    await cluster.startCcm({ controllers: ["volume"], localNodeName: "node-x" });
  });

  after(async () => {
    await cluster?.stop();
  });

  it("a local-path claim used by a pod on node-x is bound to a PV on node-x; deleting the claim removes the PV and its directory", async () => {
    await cluster.client.create(pvcKind, claim("data", "1Gi", "local-path"));
    await cluster.client.create(podKind, podUsing("app", "data", "node-x"));
    const bound = await boundClaim("data");
    const volumeName = bound.spec!.volumeName;
    const made = (await pv(volumeName))!;
    assert.equal(made.status?.phase, "Bound");
    assert.equal(made.spec?.claimRef?.uid, bound.metadata?.uid);
    assert.equal(made.spec?.persistentVolumeReclaimPolicy, "Delete");
    assert.equal(made.spec?.storageClassName, "local-path");
    assert.equal(made.spec?.capacity["storage"], "1Gi");
    const path = made.spec?.hostPath?.path ?? "";
    assert.equal(path, join(root, `${NS}_data_${volumeName}`));
    assert.deepEqual(made.spec?.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions, [{ key: "kubernetes.io/hostname", operator: "In", values: ["node-x"] }]);
    assert.ok(existsSync(path), "the directory exists on node-x");
    assert.deepEqual(bound.status?.accessModes, ["ReadWriteOnce"]);
    assert.equal(bound.status?.capacity["storage"], "1Gi");

    await cluster.client.delete(podKind, NS, "app", { gracePeriodSeconds: 0 });
    await cluster.client.delete(pvcKind, NS, "data");
    await waitFor(async () => (await pv(volumeName)) === undefined, { timeoutMs: 15_000, message: "the PV to be deleted with its claim" });
    assert.ok(!existsSync(path), "the directory is removed");
  });

  it("with reclaim policy Retain the PV is Released and its directory kept; a pod on another node gets a PV there", async () => {
    await cluster.client.create(pvcKind, claim("keep", "2Gi", "local-path-retain"));
    await cluster.client.create(podKind, podUsing("keeper", "keep", "node-y"));
    const bound = await boundClaim("keep");
    const made = (await pv(bound.spec!.volumeName))!;
    assert.deepEqual(made.spec?.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions[0]?.values, ["node-y"]);
    assert.ok(!existsSync(made.spec!.hostPath!.path), "node-y's directory is node-y's to create, not this process's");

    await cluster.client.delete(podKind, NS, "keeper", { gracePeriodSeconds: 0 });
    await cluster.client.delete(pvcKind, NS, "keep");
    const released = await waitFor(async () => {
      const v = await pv(made.metadata!.name);
      return v?.status?.phase === "Released" ? v : undefined;
    }, { timeoutMs: 15_000, message: "the PV to be Released" });
    assert.equal(released.spec?.claimRef?.name, "keep");
  });

  it("binds a claim to the smallest pre-created PV with its class, access modes and enough capacity, and waits when none fits", async () => {
    await cluster.client.create(pvKind, volume("pv-small", "1Gi", "manual"));
    await cluster.client.create(pvKind, volume("pv-big", "5Gi", "manual"));
    await cluster.client.create(pvKind, volume("pv-huge", "10Gi", "manual"));
    await cluster.client.create(pvKind, volume("pv-rwx", "2Gi", "manual", ["ReadWriteMany"]));
    await cluster.client.create(pvKind, volume("pv-fast", "2Gi", "fast"));
    await waitFor(async () => (await pv("pv-fast"))?.status?.phase === "Available", { message: "pre-created PVs to become Available" });

    await cluster.client.create(pvcKind, claim("static", "2Gi", "manual"));
    const bound = await boundClaim("static");
    assert.equal(bound.spec?.volumeName, "pv-big");
    assert.equal(bound.status?.capacity["storage"], "5Gi");
    const pvBig = (await pv("pv-big"))!;
    assert.equal(pvBig.status?.phase, "Bound");
    assert.equal(pvBig.spec?.claimRef?.name, "static");

    await cluster.client.create(pvcKind, claim("waiting", "3Gi", "manual", ["ReadWriteMany"]));
    await waitFor(async () => {
      const list = (await cluster.client.list(cluster.client.kindOf({ apiVersion: "v1", kind: "Event" } as never), { namespace: NS })).items as { reason?: string; involvedObject?: { name: string } }[];
      return list.some((e) => e.reason === "FailedBinding" && e.involvedObject?.name === "waiting");
    }, { message: "a FailedBinding event for the claim nothing fits" });
    assert.equal((await pvc("waiting")).status?.phase, "Pending");
    await cluster.client.create(pvKind, volume("pv-rwx-big", "3Gi", "manual", ["ReadWriteMany", "ReadWriteOnce"]));
    assert.equal((await boundClaim("waiting")).spec?.volumeName, "pv-rwx-big");
    assert.equal((await pv("pv-huge"))?.status?.phase, "Available", "an unneeded PV stays free");
  });
});
