// Tests of RFC 6902 JSON Patch, with the RFC's own examples.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JsonPatchError, applyJsonPatch } from "./json-patch.js";

describe("applyJsonPatch", () => {
  it("adds to objects and arrays (index and -), removes and replaces", () => {
    assert.deepEqual(applyJsonPatch({ foo: "bar" }, [{ op: "add", path: "/baz", value: "qux" }]), { foo: "bar", baz: "qux" });
    assert.deepEqual(applyJsonPatch({ foo: ["bar", "baz"] }, [{ op: "add", path: "/foo/1", value: "qux" }]), { foo: ["bar", "qux", "baz"] });
    assert.deepEqual(applyJsonPatch({ foo: ["bar"] }, [{ op: "add", path: "/foo/-", value: "z" }]), { foo: ["bar", "z"] });
    assert.deepEqual(applyJsonPatch({ baz: "qux", foo: "bar" }, [{ op: "remove", path: "/baz" }]), { foo: "bar" });
    assert.deepEqual(applyJsonPatch({ foo: ["bar", "qux", "baz"] }, [{ op: "remove", path: "/foo/1" }]), { foo: ["bar", "baz"] });
    assert.deepEqual(applyJsonPatch({ baz: "qux", foo: "bar" }, [{ op: "replace", path: "/baz", value: "boo" }]), { baz: "boo", foo: "bar" });
  });

  it("moves, copies, tests, and reads ~0 ~1 escapes", () => {
    const doc = { foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } };
    assert.deepEqual(applyJsonPatch(doc, [{ op: "move", from: "/foo/waldo", path: "/qux/thud" }]), { foo: { bar: "baz" }, qux: { corge: "grault", thud: "fred" } });
    assert.deepEqual(applyJsonPatch({ a: [1] }, [{ op: "copy", from: "/a", path: "/b" }]), { a: [1], b: [1] });
    assert.deepEqual(applyJsonPatch({ "a/b": 1, "m~n": 2 }, [{ op: "replace", path: "/a~1b", value: 3 }, { op: "test", path: "/m~0n", value: 2 }]), { "a/b": 3, "m~n": 2 });
    assert.deepEqual(applyJsonPatch({ metadata: { labels: { "app.kubernetes.io/name": "x" } } }, [{ op: "remove", path: "/metadata/labels/app.kubernetes.io~1name" }]), { metadata: { labels: {} } });
  });

  it("is atomic: a failing operation leaves the document as it was", () => {
    const doc = { a: 1 };
    assert.throws(() => applyJsonPatch(doc, [{ op: "add", path: "/b", value: 2 }, { op: "test", path: "/a", value: 9 }]), JsonPatchError);
    assert.deepEqual(doc, { a: 1 });
  });

  it("refuses missing paths, bad indexes, unknown operations and a non-list patch", () => {
    assert.throws(() => applyJsonPatch({}, [{ op: "remove", path: "/nope" }]), /nonexistent key/);
    assert.throws(() => applyJsonPatch({ a: [] }, [{ op: "replace", path: "/a/0", value: 1 }]), /out of range/);
    assert.throws(() => applyJsonPatch({ a: [] }, [{ op: "add", path: "/a/01", value: 1 }]), /invalid array index/);
    assert.throws(() => applyJsonPatch({}, [{ op: "frobnicate", path: "/a" }]), /unknown operation/);
    assert.throws(() => applyJsonPatch({}, { op: "add" }), /list of operations/);
    assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: "move", from: "/a", path: "/a/b" }]), /own child/);
  });
});
