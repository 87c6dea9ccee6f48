// Request JSON limits: oversized bodies are RequestEntityTooLarge, deep nesting BadRequest, in every patch function too.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isApiError } from "./api-error.js";
import { applyJsonPatch } from "./json-patch.js";
import { defaultJsonLimits, jsonTextDepth, jsonValueDepth, parseJsonBody } from "./json-limits.js";
import { mergePatch } from "./merge-patch.js";
import { strategicMergePatch } from "./strategic-merge-patch.js";

function nested(depth: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let at = root;
  for (let i = 1; i < depth; i++) {
    const next: Record<string, unknown> = {};
    at.a = next;
    at = next;
  }
  return root;
}

const reasonOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(isApiError(err), `expected an ApiError, got ${String(err)}`);
    return err.reason;
  }
  return "none";
};

test("text depth counts brackets outside strings only, escaped quotes included", () => {
  assert.equal(jsonTextDepth(Buffer.from('{"a\\"[[[":[1,{"b":[]}]}')), 4);
  assert.equal(jsonTextDepth(Buffer.from('"{{{{"')), 0);
  assert.equal(jsonTextDepth(Buffer.from("[[],[[]]]")), 3);
  assert.equal(jsonValueDepth({ a: [1, { b: [] }] }), 4);
  assert.equal(jsonValueDepth("x"), 0);
});

test("a body over the byte limit is RequestEntityTooLarge, one too deep or not JSON is BadRequest", () => {
  const limits = { maxBytes: 64, maxDepth: 3 };
  assert.equal(reasonOf(() => parseJsonBody(Buffer.from(JSON.stringify({ s: "x".repeat(100) })), "the object", limits)), "RequestEntityTooLarge");
  assert.equal(reasonOf(() => parseJsonBody(Buffer.from("[[[[]]]]"), "the patch", limits)), "BadRequest");
  assert.equal(reasonOf(() => parseJsonBody(Buffer.from("{nope"), "the patch", limits)), "BadRequest");
  assert.deepEqual(parseJsonBody(Buffer.from('{"a":[[1]]}'), "the patch", limits), { a: [[1]] });
});

test("a merge patch nested 50,000 deep is BadRequest, not a stack overflow", () => {
  assert.equal(reasonOf(() => mergePatch({}, nested(50_000))), "BadRequest");
  assert.equal(reasonOf(() => strategicMergePatch("kubeplane.core.v1.Pod", {}, nested(50_000))), "BadRequest");
  assert.equal(reasonOf(() => applyJsonPatch({}, [{ op: "add", path: "/a", value: nested(50_000) }])), "BadRequest");
  // At the limit itself, patches still apply.
  assert.equal(jsonValueDepth(mergePatch({}, nested(defaultJsonLimits.maxDepth))), defaultJsonLimits.maxDepth);
});

test("a JSON patch of more than 10,000 operations is RequestEntityTooLarge", () => {
  const ops = Array.from({ length: 10_001 }, () => ({ op: "test", path: "", value: {} }));
  assert.equal(reasonOf(() => applyJsonPatch({}, ops)), "RequestEntityTooLarge");
});
