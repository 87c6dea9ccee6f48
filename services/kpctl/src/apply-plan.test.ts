// Tests of apply's create / unchanged / configured decision and its three-way merge.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { JsonObject } from "@kubeplane/client";
import { isSubset, LAST_APPLIED_ANNOTATION, mergePatch, planApply } from "./apply-plan.js";

const manifest: JsonObject = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "default", labels: { app: "web" } },
  spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
};

/** The service as the apiserver stores it after `apply` created it: defaults and server fields added. */
function liveAfterCreate(m: JsonObject): JsonObject {
  const created = planApply(m, undefined);
  assert.equal(created.action, "create");
  const obj = structuredClone((created as { object: JsonObject }).object);
  Object.assign(obj.metadata as object, { uid: "u-1", resourceVersion: "42", creationTimestamp: "2026-03-01T00:00:00Z" });
  const spec = obj.spec as { clusterIP?: string; type?: string; ports: { protocol?: string }[] };
  spec.clusterIP = "10.96.0.10";
  spec.type = "ClusterIP";
  for (const p of spec.ports) p.protocol = "TCP";
  return obj;
}

test("an object that does not exist is created with the last-applied annotation", () => {
  const plan = planApply(manifest, undefined);
  assert.equal(plan.action, "create");
  const annotations = ((plan as { object: JsonObject }).object.metadata as { annotations: Record<string, string> }).annotations;
  assert.deepEqual(JSON.parse(annotations[LAST_APPLIED_ANNOTATION] as string), manifest);
});

test("re-applying the same manifest over server defaults is unchanged", () => {
  assert.deepEqual(planApply(manifest, liveAfterCreate(manifest)), { action: "unchanged" });
});

test("a changed field is configured over the live object, keeping server-set fields and the live resourceVersion", () => {
  const live = liveAfterCreate(manifest);
  const changed = structuredClone(manifest);
  (changed.spec as { ports: { port: number }[] }).ports = [{ port: 8080 }];
  const plan = planApply(changed, live);
  assert.equal(plan.action, "configure");
  const obj = (plan as { object: JsonObject }).object;
  assert.equal((obj.spec as { clusterIP: string }).clusterIP, "10.96.0.10");
  assert.deepEqual((obj.spec as { ports: unknown }).ports, [{ port: 8080 }]);
  assert.equal((obj.metadata as { resourceVersion: string }).resourceVersion, "42");
  assert.equal((obj.metadata as { uid: string }).uid, "u-1");
  assert.match((obj.metadata as { annotations: Record<string, string> }).annotations[LAST_APPLIED_ANNOTATION] as string, /"port":8080/);
});

test("a field the previous apply set and the new manifest drops is removed; fields others set are kept", () => {
  const withLabel = structuredClone(manifest);
  (withLabel.metadata as { labels: Record<string, string> }).labels.tier = "front";
  const live = liveAfterCreate(withLabel);
  (live.metadata as { labels: Record<string, string> }).labels["added-by-someone-else"] = "yes";
  const plan = planApply(manifest, live);
  assert.equal(plan.action, "configure");
  assert.deepEqual(((plan as { object: JsonObject }).object.metadata as { labels: unknown }).labels, { app: "web", "added-by-someone-else": "yes" });
});

test("an object created without apply is configured once to record the annotation", () => {
  const live = liveAfterCreate(manifest);
  delete (live.metadata as { annotations?: unknown }).annotations;
  assert.equal(planApply(manifest, live).action, "configure");
});

test("server-owned metadata and status in a manifest are ignored", () => {
  const exported = structuredClone(manifest);
  Object.assign(exported.metadata as object, { resourceVersion: "1", uid: "other" });
  exported.status = { loadBalancer: {} };
  assert.deepEqual(planApply(exported, liveAfterCreate(manifest)), { action: "unchanged" });
});

test("subset and merge patch follow JSON merge patch semantics", () => {
  assert.equal(isSubset({ a: { b: 1 } }, { a: { b: 1, c: 2 }, d: 3 }), true);
  assert.equal(isSubset({ a: [{ x: 1 }] }, { a: [{ x: 1, y: 2 }] }), true);
  assert.equal(isSubset({ a: [1, 2] }, { a: [1] }), false);
  assert.equal(isSubset({ port: 80 }, { port: "80" }), true);
  assert.equal(isSubset({ gone: null }, { gone: 1 }), false);
  assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { a: null, b: { c: 5 }, e: [1] }), { b: { c: 5, d: 3 }, e: [1] });
});
