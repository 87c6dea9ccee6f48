// Field-set algebra (properties over seeded random sets) and FieldsV1 round trips.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FieldSet, FieldsV1Error, pathString } from "./field-set.js";

// fast-check is not a dependency of the apiserver package (the lock file is shared); a seeded generator does the same here.
const ELEMENTS = ["f:spec", "f:replicas", "f:metadata", "f:labels", "f:app", "f:containers", "f:image", 'k:{"name":"web"}', 'k:{"name":"db"}', 'v:"a"', 'v:"b"', "i:0"];
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32);
}
function randomSet(next: () => number): FieldSet {
  const s = new FieldSet();
  const n = Math.floor(next() * 12);
  for (let i = 0; i < n; i++) s.insert(Array.from({ length: 1 + Math.floor(next() * 4) }, () => ELEMENTS[Math.floor(next() * ELEMENTS.length)]!));
  return s;
}
/** Runs `check` on 300 seeded pairs of random sets. */
function forAllPairs(check: (a: FieldSet, b: FieldSet) => void): void {
  for (let run = 0; run < 300; run++) {
    const next = random(run + 1);
    check(randomSet(next), randomSet(next));
  }
}
const keys = (s: FieldSet): string[] => s.paths().map((p) => p.join("/")).sort();

test("union, intersection and difference behave as set operations on paths", () => {
  forAllPairs((a, b) => {
      const inA = new Set(keys(a));
      const inB = new Set(keys(b));
      assert.deepEqual(keys(a.union(b)), [...new Set([...inA, ...inB])].sort());
      assert.deepEqual(keys(a.intersection(b)), [...inA].filter((k) => inB.has(k)).sort());
      assert.deepEqual(keys(a.difference(b)), [...inA].filter((k) => !inB.has(k)).sort());
      assert.ok(a.union(b).difference(b).equals(a.difference(b)));
      assert.ok(a.intersection(b).equals(b.intersection(a)));
  });
});

test("recursiveDifference also drops every path under a path of the other set", () => {
  forAllPairs((a, b) => {
      const under = (k: string[]): boolean => b.paths().some((p) => p.length <= k.length && p.every((e, i) => e === k[i]));
      assert.deepEqual(keys(a.recursiveDifference(b)), a.paths().filter((p) => !under(p)).map((p) => p.join("/")).sort());
  });
});

test("FieldsV1 encoding round-trips and marks a node that is also a member with '.'", () => {
  forAllPairs((a) => assert.deepEqual(keys(FieldSet.fromFieldsV1(a.toFieldsV1())), keys(a)));
  const s = new FieldSet().insert(["f:spec", "f:containers", 'k:{"name":"web"}']).insert(["f:spec", "f:containers", 'k:{"name":"web"}', "f:image"]);
  assert.deepEqual(s.toFieldsV1(), { "f:spec": { "f:containers": { 'k:{"name":"web"}': { ".": {}, "f:image": {} } } } });
});

test("FieldsV1 that is not a field set is refused", () => {
  assert.throws(() => FieldSet.fromFieldsV1({ "x:spec": {} }), FieldsV1Error);
  assert.throws(() => FieldSet.fromFieldsV1({ "f:spec": 1 }), FieldsV1Error);
  assert.throws(() => FieldSet.fromFieldsV1({ "k:{bad": {} }), FieldsV1Error);
  assert.throws(() => FieldSet.fromFieldsV1([]), FieldsV1Error);
});

test("paths print as Kubernetes prints them in conflicts", () => {
  assert.equal(pathString(["f:spec", "f:replicas"]), ".spec.replicas");
  assert.equal(pathString(["f:spec", "f:containers", 'k:{"name":"web"}', "f:image"]), '.spec.containers[name="web"].image');
  assert.equal(pathString(["f:metadata", "f:finalizers", 'v:"a"']), '.metadata.finalizers[="a"]');
});
