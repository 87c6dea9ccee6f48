// Unit tests of revision hashing: stable across key order, changed by the template and by a collision count.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Pod } from "@kubeplane/api";
import { fnv1a32, revisionData, revisionHash, templateOf } from "./controller-history.js";

const template = (image: string, labels: Record<string, string>) => coreV1Pod.PodTemplateSpec.fromPartial({ metadata: { labels }, spec: { containers: [{ name: "c", image }] } });

test("fnv1a32 matches the reference vectors", () => {
  assert.equal(fnv1a32(""), 0x811c9dc5);
  assert.equal(fnv1a32("a"), 0xe40c292c);
});

test("a revision hash ignores label order and changes with the template or the collision count", () => {
  const a = revisionHash(revisionData(template("v1", { a: "1", b: "2" })));
  assert.equal(a, revisionHash(revisionData(template("v1", { b: "2", a: "1" }))));
  assert.notEqual(a, revisionHash(revisionData(template("v2", { a: "1", b: "2" }))));
  assert.notEqual(a, revisionHash(revisionData(template("v1", { a: "1", b: "2" })), 1));
  assert.match(a, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
});

test("a revision gives back the template it recorded", () => {
  const t = template("v1", { app: "x" });
  assert.deepEqual(templateOf({ apiVersion: "apps/v1", kind: "ControllerRevision", data: revisionData(t), revision: 1 }), t);
});
