// Unit tests of expectations: in-flight creates and deletes block a key until observed or expired.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Expectations } from "./expectations.js";

test("a key is unsatisfied while creations or deletions it expects are unobserved", () => {
  const e = new Expectations();
  assert.equal(e.satisfied("ns/rs"), true);
  e.expectCreations("ns/rs", 2);
  e.expectDeletions("ns/rs", ["uid-1"]);
  assert.equal(e.satisfied("ns/rs"), false);
  e.creationObserved("ns/rs");
  e.creationObserved("ns/rs");
  assert.equal(e.satisfied("ns/rs"), false, "a deletion is still in flight");
  e.deletionObserved("ns/rs", "uid-1");
  assert.equal(e.satisfied("ns/rs"), true);
  e.creationObserved("ns/rs");
  assert.equal(e.satisfied("ns/rs"), true, "extra observations never go negative");
});

test("expectations expire so a lost event cannot wedge a key", () => {
  let now = 0;
  const e = new Expectations(1000, () => now);
  e.expectCreations("k", 1);
  now = 999;
  assert.equal(e.satisfied("k"), false);
  now = 2001;
  assert.equal(e.satisfied("k"), true);
});
