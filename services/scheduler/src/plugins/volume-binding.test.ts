// Unit tests for VolumeBinding (lite): local volumes pin pods to their node, missing and unbound claims, requeue on claim events.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { coreV1Volume, storageV1 } from "@kubeplane/api";
import type { Informer } from "@kubeplane/client";
import { waitFor } from "@kubeplane/testing";
import { Code, CycleState, type PersistentVolume, type PersistentVolumeClaim, type PodInfo, type StorageClass, type StorageListers } from "../framework/interface.js";
import { newPodInfo } from "../framework/pod-info.js";
import { defaultConfiguration } from "../framework/profile.js";
import { Scheduler } from "../scheduler.js";
import { ERR_NODE_CONFLICT, ERR_PV_NOT_EXIST, ERR_UNBOUND_IMMEDIATE, VolumeBinding } from "./volume-binding.js";
import { makeNode, makePod, snapshotOf } from "./test-support.js";

function claim(name: string, opts: { volumeName?: string; storageClassName?: string } = {}): PersistentVolumeClaim {
  return coreV1Volume.PersistentVolumeClaim.fromPartial({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { namespace: "default", name },
    spec: { accessModes: ["ReadWriteOnce"], volumeName: opts.volumeName ?? "", storageClassName: opts.storageClassName },
    status: { phase: opts.volumeName ? "Bound" : "Pending" },
  });
}

/** A local-path volume as the cloud-controller-manager's provisioner makes it: pinned to `hostname`. */
function localVolume(name: string, hostname?: string): PersistentVolume {
  return coreV1Volume.PersistentVolume.fromPartial({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: {
      capacity: { storage: "1Gi" },
      local: { path: `/var/lib/kubeplane/volumes/${name}` },
      ...(hostname ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [hostname] }] }] } } } : {}),
    },
    status: { phase: "Bound" },
  });
}

function storageClass(name: string, volumeBindingMode: string): StorageClass {
  return storageV1.StorageClass.fromPartial({ apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name }, provisioner: "kubeplane.io/local-path", volumeBindingMode });
}

function listers(objs: { claims?: PersistentVolumeClaim[]; volumes?: PersistentVolume[]; classes?: StorageClass[] }): StorageListers {
  return {
    claim: (ns, name) => objs.claims?.find((c) => c.metadata?.namespace === ns && c.metadata?.name === name),
    volume: (name) => objs.volumes?.find((v) => v.metadata?.name === name),
    storageClass: (name) => objs.classes?.find((c) => c.metadata?.name === name),
  };
}

const withClaims = (name: string, ...claimNames: string[]): PodInfo =>
  newPodInfo(makePod(name, { spec: { volumes: claimNames.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c, readOnly: false } })) } }));

const nodes = snapshotOf([makeNode("n1"), makeNode("n2"), makeNode("n3")]);

/** PreFilter, then Filter on each node: node name → [code, first reason]; PreFilter's failure under "*". */
function run(storage: StorageListers, pod: PodInfo): Map<string, [Code, string]> {
  const plugin = new VolumeBinding(() => storage);
  const state = new CycleState();
  const pre = plugin.preFilter(state, pod);
  if (pre.status.code !== Code.Success) return new Map([["*", [pre.status.code, pre.status.reasons[0] ?? ""]]]);
  return new Map(nodes.list().map((n) => {
    const s = plugin.filter(state, pod, n);
    return [n.name, [s.code, s.reasons[0] ?? ""]];
  }));
}

describe("VolumeBinding", () => {
  test("a pod whose claim is bound to a local volume fits only the volume's node", () => {
    const storage = listers({ claims: [claim("data", { volumeName: "pv-1" })], volumes: [localVolume("pv-1", "n2")] });
    const r = run(storage, withClaims("db", "data"));
    assert.deepEqual(r.get("n2"), [Code.Success, ""]);
    assert.deepEqual(r.get("n1"), [Code.UnschedulableAndUnresolvable, ERR_NODE_CONFLICT]);
    assert.deepEqual(r.get("n3"), [Code.UnschedulableAndUnresolvable, ERR_NODE_CONFLICT]);
  });

  test("two local volumes on different nodes fit nowhere", () => {
    const storage = listers({
      claims: [claim("a", { volumeName: "pv-a" }), claim("b", { volumeName: "pv-b" })],
      volumes: [localVolume("pv-a", "n1"), localVolume("pv-b", "n2")],
    });
    const r = run(storage, withClaims("db", "a", "b"));
    assert.deepEqual([...r.values()].map(([c]) => c), [Code.UnschedulableAndUnresolvable, Code.UnschedulableAndUnresolvable, Code.UnschedulableAndUnresolvable]);
  });

  test("a missing claim makes the pod unschedulable everywhere, naming the claim", () => {
    const r = run(listers({}), withClaims("db", "data"));
    assert.deepEqual(r.get("*"), [Code.UnschedulableAndUnresolvable, 'persistentvolumeclaim "data" not found']);
  });

  test("an unbound claim waits for its first consumer only if its class says so", () => {
    const classes = [storageClass("local-path", "WaitForFirstConsumer"), storageClass("fast", "Immediate")];
    const wffc = run(listers({ claims: [claim("data", { storageClassName: "local-path" })], classes }), withClaims("db", "data"));
    // Nothing to check on any node: the provisioner binds the claim where the pod lands.
    assert.deepEqual(wffc.get("*"), [Code.Skip, ""]);
    const immediate = run(listers({ claims: [claim("data", { storageClassName: "fast" })], classes }), withClaims("db", "data"));
    assert.deepEqual(immediate.get("*"), [Code.UnschedulableAndUnresolvable, ERR_UNBOUND_IMMEDIATE]);
    const noClass = run(listers({ claims: [claim("data", { storageClassName: "gone" })], classes }), withClaims("db", "data"));
    assert.deepEqual(noClass.get("*"), [Code.UnschedulableAndUnresolvable, 'storageclass.storage.k8s.io "gone" not found']);
  });

  test("a claim bound to a volume that does not exist fits nowhere; a volume without node affinity fits everywhere", () => {
    const missing = run(listers({ claims: [claim("data", { volumeName: "pv-x" })] }), withClaims("db", "data"));
    assert.deepEqual(missing.get("*"), [Code.UnschedulableAndUnresolvable, ERR_PV_NOT_EXIST]);
    const anywhere = new VolumeBinding(() => listers({ claims: [claim("data", { volumeName: "pv-1" })], volumes: [localVolume("pv-1")] }));
    assert.equal(anywhere.preFilter(new CycleState(), withClaims("db", "data")).status.code, Code.Skip);
  });

  test("pods without claims are skipped", () => {
    assert.equal(new VolumeBinding(() => listers({})).preFilter(new CycleState(), newPodInfo(makePod("web"))).status.code, Code.Skip);
  });
});

/** An informer over fixed objects whose handlers the test fires. */
function fakeInformer<T extends PersistentVolumeClaim | PersistentVolume | StorageClass>(items: T[]) {
  const handlers: { onAdd?(o: T): void }[] = [];
  const informer = {
    lister: { get: (ns: string, name: string) => items.find((i) => (i.metadata?.namespace ?? "") === ns && i.metadata?.name === name) },
    addEventHandler: (h: { onAdd?(o: T): void }) => (handlers.push(h), () => undefined),
  } as unknown as Informer<T>;
  return { informer, add: (o: T) => (items.push(o), handlers.forEach((h) => h.onAdd?.(o))) };
}

describe("VolumeBinding in the scheduler", () => {
  test("a pod waiting for its claim is placed, on the volume's node, once the claim and volume appear", async () => {
    const binds: string[] = [];
    const client = {
      bind: async (ns: string, name: string, node: string) => void binds.push(`${ns}/${name}->${node}`),
      bindPods: async (bindings: ReadonlyArray<{ namespace: string; pod: string; node: string }>) => bindings.map((b) => void binds.push(`${b.namespace}/${b.pod}->${b.node}`)),
      updateStatus: async (_k: unknown, p: unknown) => p,
      create: async (_k: unknown, e: unknown) => e,
    } as never;
    const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const s = new Scheduler({ client, configuration: defaultConfiguration(), logger: quiet, queue: { initialBackoffMs: 10, maxBackoffMs: 20 } });
    const claims = fakeInformer<PersistentVolumeClaim>([]);
    const volumes = fakeInformer<PersistentVolume>([]);
    s.attachStorage(claims.informer, volumes.informer, fakeInformer<StorageClass>([]).informer);
    for (const n of ["n1", "n2", "n3"]) s.onNodeAdd(makeNode(n));
    s.onPodAdd(withClaims("db", "data").pod);
    const stop = new AbortController();
    const running = s.run(stop.signal);
    try {
      await waitFor(() => (s.queue.pending().unschedulable === 1 ? true : undefined), { message: "db waits for its claim" });
      volumes.add(localVolume("pv-1", "n3"));
      claims.add(claim("data", { volumeName: "pv-1" }));
      await waitFor(() => (s.scheduledCount === 1 ? true : undefined), { message: "db bound" });
      assert.deepEqual(binds, ["default/db->n3"]);
    } finally {
      stop.abort();
      await running;
    }
  });
});
