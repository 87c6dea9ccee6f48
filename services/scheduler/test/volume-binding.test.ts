// Integration tests of VolumeBinding on a real apiserver: local volumes pin pods to their node; a missing claim waits until it exists.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { coreV1Volume, kindFor, type KindInfo } from "@kubeplane/api";
import type { RunningScheduler } from "../src/index.js";
import { boundPod, cleanUp, createNamespace, node, nodes, pod, pods, startCluster, startTestScheduler, unschedulableCondition, type Cluster } from "./support.js";

type PersistentVolume = coreV1Volume.PersistentVolume;
type PersistentVolumeClaim = coreV1Volume.PersistentVolumeClaim;
const volumes = kindFor("v1", "PersistentVolume") as KindInfo<PersistentVolume>;
const claims = kindFor("v1", "PersistentVolumeClaim") as KindInfo<PersistentVolumeClaim>;

/** A local volume on `hostname`, as the cloud-controller-manager's local-path provisioner makes one. */
function localVolume(name: string, hostname: string): PersistentVolume {
  return coreV1Volume.PersistentVolume.fromPartial({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      local: { path: `/var/lib/kubeplane/volumes/${name}` },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [hostname] }] }] } },
    },
  });
}

/** A claim already bound (spec.volumeName) to `volumeName`. */
function boundClaim(namespace: string, name: string, volumeName: string): PersistentVolumeClaim {
  return coreV1Volume.PersistentVolumeClaim.fromPartial({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { namespace, name },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, volumeName, storageClassName: "" },
  });
}

const usingClaim = (claimName: string) => ({ volumes: [{ name: "data", persistentVolumeClaim: { claimName } }] });

describe("VolumeBinding on a real apiserver", () => {
  let cluster: Cluster;
  let sched: RunningScheduler;
  const ns = "volumes";
  const nodeNames = ["vol-1", "vol-2", "vol-3"];

  before(async () => {
    cluster = await startCluster();
    sched = await startTestScheduler(cluster);
    await createNamespace(cluster.client, ns);
    for (const name of nodeNames) await cluster.client.create(nodes, node(name, { cpu: "4" }));
  });

  after(async () => {
    if (cluster) {
      await cleanUp(cluster.client, ns, nodeNames);
      for (const pv of ["pv-vol-2", "pv-vol-3"]) await cluster.client.delete(volumes, "", pv).catch(() => undefined);
    }
    await sched?.stop();
    await cluster?.stop();
  });

  it("a pod whose claim is bound to a local volume lands on the volume's node", async () => {
    const c = cluster.client;
    await c.create(volumes, localVolume("pv-vol-2", "vol-2"));
    await c.create(claims, boundClaim(ns, "data", "pv-vol-2"));
    for (let i = 0; i < 3; i++) await c.create(pods, pod(ns, `db-${i}`, "100m", usingClaim("data")));
    for (let i = 0; i < 3; i++) assert.equal((await boundPod(c, ns, `db-${i}`)).spec!.nodeName, "vol-2");
  });

  it("a pod whose claim does not exist waits with the reason, and is placed once the claim appears", async () => {
    const c = cluster.client;
    await c.create(pods, pod(ns, "orphan", "100m", usingClaim("later")));
    const cond = await unschedulableCondition(c, ns, "orphan");
    assert.match(cond.message, /persistentvolumeclaim "later" not found/);
    await c.create(volumes, localVolume("pv-vol-3", "vol-3"));
    await c.create(claims, boundClaim(ns, "later", "pv-vol-3"));
    assert.equal((await boundPod(c, ns, "orphan")).spec!.nodeName, "vol-3");
  });
});
