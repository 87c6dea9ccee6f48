// JSON merge patch follows RFC 7386, its appendix examples included, without touching its inputs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { mergePatch } from "./merge-patch.js";

// RFC 7386 Appendix A: [original, patch, result].
const appendixA: [unknown, unknown, unknown][] = [
  [{ a: "b" }, { a: "c" }, { a: "c" }],
  [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
  [{ a: "b" }, { a: null }, {}],
  [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
  [{ a: ["b"] }, { a: "c" }, { a: "c" }],
  [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
  [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
  [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
  [["a", "b"], ["c", "d"], ["c", "d"]],
  [{ a: "b" }, ["c"], ["c"]],
  [{ a: "foo" }, null, null],
  [{ a: "foo" }, "bar", "bar"],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: "b", c: null }, { a: "b" }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

test("every example of RFC 7386 Appendix A gives its result", () => {
  for (const [original, patch, result] of appendixA) {
    assert.deepEqual(mergePatch(original, patch), result, JSON.stringify({ original, patch }));
  }
});

test("the RFC 7386 section 3 example merges title, author and tags", () => {
  const original = {
    title: "Goodbye!",
    author: { givenName: "John", familyName: "Doe" },
    tags: ["example", "sample"],
    content: "This will be unchanged",
  };
  const patch = { title: "Hello!", phoneNumber: "+01-123-456-7890", author: { familyName: null }, tags: ["example"] };
  assert.deepEqual(mergePatch(original, patch), {
    title: "Hello!",
    author: { givenName: "John" },
    tags: ["example"],
    content: "This will be unchanged",
    phoneNumber: "+01-123-456-7890",
  });
});

test("merging never modifies the target or the patch, and the result does not alias the patch", () => {
  const target = { metadata: { labels: { app: "web", tier: "front" } }, spec: { replicas: 1 } };
  const patch = { metadata: { labels: { tier: null, track: "canary" } }, spec: { ports: [{ port: 80 }] } };
  const targetBefore = structuredClone(target);
  const patchBefore = structuredClone(patch);
  const result = mergePatch(target, patch) as typeof target & { spec: { ports: { port: number }[] } };
  assert.deepEqual(target, targetBefore);
  assert.deepEqual(patch, patchBefore);
  assert.deepEqual(result, { metadata: { labels: { app: "web", track: "canary" } }, spec: { replicas: 1, ports: [{ port: 80 }] } });
  assert.notEqual(result.spec.ports, patch.spec.ports);
});

test("a \"__proto__\" key is merged as data", () => {
  const result = mergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(result), Object.prototype);
  assert.deepEqual(Object.keys(result), ["__proto__"]);
});
