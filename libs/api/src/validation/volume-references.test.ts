// Unit tests for cross-references of volumes: StatefulSet mounts of claim templates, projected and downward API sources.
import assert from "node:assert/strict";
import { test } from "node:test";
import { validateObject } from "./index.js";
import { kindInfo, manifest, pairs } from "./test-support.js";

const meta = { name: "db", namespace: "default" };
const StatefulSetKind = kindInfo("apps/v1", "StatefulSet");
const PodKind = kindInfo("v1", "Pod");
const claim = (name: string) => ({ metadata: { name }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } });
const statefulSet = (mounts: string[], claims: Record<string, unknown>[]) =>
  manifest({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: meta,
    spec: {
      serviceName: "db",
      replicas: 3,
      selector: { matchLabels: { app: "db" } },
      template: { metadata: { labels: { app: "db" } }, spec: { containers: [{ name: "db", image: "busybox:1.36", volumeMounts: mounts.map((name, i) => ({ name, mountPath: `/m${i}` })) }] } },
      volumeClaimTemplates: claims,
    },
  });

test("a StatefulSet's containers may mount the volumes of its claim templates", () => {
  assert.deepEqual(validateObject(StatefulSetKind, statefulSet(["data"], [claim("data")])), []);
});

test("a StatefulSet mount of a volume that is neither in the template nor a claim template is refused", () => {
  assert.deepEqual(pairs(validateObject(StatefulSetKind, statefulSet(["logs"], [claim("data")]))), ["spec.template.spec.containers[0].volumeMounts[0].name FieldValueNotSupported"]);
});

test("claim templates need a unique DNS-label name", () => {
  const errs = validateObject(StatefulSetKind, statefulSet([], [claim("data"), claim("data"), claim("Bad_Name"), claim("")]));
  assert.deepEqual(pairs(errs), [
    "spec.volumeClaimTemplates[1].metadata.name FieldValueDuplicate",
    "spec.volumeClaimTemplates[2].metadata.name FieldValueInvalid",
    "spec.volumeClaimTemplates[3].metadata.name FieldValueRequired",
  ]);
});

test("a projected volume's sources name one object each, with relative, distinct paths", () => {
  const pod = (sources: unknown[]) =>
    manifest({ apiVersion: "v1", kind: "Pod", metadata: meta, spec: { containers: [{ name: "a", image: "x", volumeMounts: [{ name: "p", mountPath: "/p" }] }], volumes: [{ name: "p", projected: { sources } }] } });
  const ok = [{ secret: { name: "s", items: [{ key: "k", path: "a" }] } }, { configMap: { name: "c" } }, { serviceAccountToken: { path: "token", expirationSeconds: 3600 } }, { downwardAPI: { items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }] } }];
  assert.deepEqual(validateObject(PodKind, pod(ok)), []);
  const bad = [{}, { secret: { name: "", items: [{ key: "k", path: "/abs" }] }, configMap: { name: "c" } }, { serviceAccountToken: { path: "t", expirationSeconds: 60 } }, { downwardAPI: { items: [{ path: "t" }] } }];
  assert.deepEqual(pairs(validateObject(PodKind, pod(bad))), [
    "spec.volumes[0].projected.sources[0] FieldValueRequired",
    "spec.volumes[0].projected.sources[1].configMap FieldValueForbidden",
    "spec.volumes[0].projected.sources[1].secret.name FieldValueRequired",
    "spec.volumes[0].projected.sources[1].secret.items[0].path FieldValueInvalid",
    "spec.volumes[0].projected.sources[2].serviceAccountToken.expirationSeconds FieldValueInvalid",
    "spec.volumes[0].projected.sources[3].downwardAPI.items[0] FieldValueRequired",
    "spec.volumes[0].projected.sources[3].downwardAPI.items[0].path FieldValueInvalid",
  ]);
});

test("an unbound claim without a class may be given one once; a set class or a bound claim's is immutable", () => {
  const k = kindInfo("v1", "PersistentVolumeClaim");
  const pvc = (storageClassName?: string, volumeName = "") =>
    manifest({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: meta, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, volumeName, ...(storageClassName === undefined ? {} : { storageClassName }) } });
  assert.deepEqual(validateObject(k, pvc("local-path"), pvc()), []);
  assert.deepEqual(pairs(validateObject(k, pvc("other"), pvc("local-path"))), ["spec FieldValueForbidden"]);
  assert.deepEqual(pairs(validateObject(k, pvc("local-path", "pv-1"), pvc(undefined, "pv-1"))), ["spec FieldValueForbidden"]);
});
