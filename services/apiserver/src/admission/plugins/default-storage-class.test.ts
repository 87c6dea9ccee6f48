// Unit tests of DefaultStorageClass: absent storageClassName gets the default class; "" stays; of several defaults the newest wins.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Volume, kindFor, storageV1, type KindInfo } from "@kubeplane/api";
import { DefaultStorageClass, IS_DEFAULT_CLASS_ANNOTATION } from "./default-storage-class.js";
import { attributes, MemoryAdmissionStore } from "./test-admission-support.js";

const pvcs = kindFor("v1", "PersistentVolumeClaim") as KindInfo<coreV1Volume.PersistentVolumeClaim>;
const classes = kindFor("storage.k8s.io/v1", "StorageClass") as KindInfo<storageV1.StorageClass>;

function storeWith(...list: [name: string, created: string, isDefault: boolean][]): MemoryAdmissionStore {
  const store = new MemoryAdmissionStore();
  for (const [name, created, isDefault] of list) {
    store.put(classes, storageV1.StorageClass.fromPartial({ metadata: { name, creationTimestamp: created, annotations: isDefault ? { [IS_DEFAULT_CLASS_ANNOTATION]: "true" } : {} }, provisioner: "p" }));
  }
  return store;
}

async function admitted(store: MemoryAdmissionStore, storageClassName?: string): Promise<string | undefined> {
  const pvc = coreV1Volume.PersistentVolumeClaim.fromPartial({ metadata: { name: "data", namespace: "ns" }, spec: { accessModes: ["ReadWriteOnce"], ...(storageClassName !== undefined ? { storageClassName } : {}) } });
  const attrs = attributes(pvcs, "CREATE", pvc);
  const plugin = new DefaultStorageClass();
  assert.ok(plugin.handles(attrs));
  await plugin.admit(attrs, store);
  return pvc.spec!.storageClassName;
}

test("a claim without storageClassName gets the class annotated as default", async () => {
  assert.equal(await admitted(storeWith(["slow", "2026-01-01T00:00:00Z", false], ["fast", "2026-01-02T00:00:00Z", true])), "fast");
});

test("an explicit class, or an explicit empty class (no class), is kept", async () => {
  const store = storeWith(["fast", "2026-01-02T00:00:00Z", true]);
  assert.equal(await admitted(store, ""), "");
  assert.equal(await admitted(store, "slow"), "slow");
});

test("with two defaults the newest is chosen (Kubernetes 1.26+); with none the claim stays without a class", async () => {
  assert.equal(await admitted(storeWith(["old", "2026-01-01T00:00:00Z", true], ["new", "2026-03-01T00:00:00Z", true], ["newer-but-not-default", "2026-04-01T00:00:00Z", false])), "new");
  assert.equal(await admitted(storeWith(["b", "2026-01-01T00:00:00Z", true], ["a", "2026-01-01T00:00:00Z", true])), "a", "same age: by name");
  assert.equal(await admitted(storeWith(["plain", "2026-01-01T00:00:00Z", false])), undefined);
});

test("only PVC creates are handled", () => {
  const plugin = new DefaultStorageClass();
  const pvc = coreV1Volume.PersistentVolumeClaim.fromPartial({ metadata: { name: "data", namespace: "ns" }, spec: {} });
  assert.ok(!plugin.handles(attributes(pvcs, "UPDATE", pvc, { oldObject: pvc })));
  assert.ok(!plugin.handles(attributes(pvcs, "CREATE", pvc, { subresource: "status" })));
});
