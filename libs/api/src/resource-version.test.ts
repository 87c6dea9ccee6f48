import { strict as assert } from "node:assert";
import { test } from "node:test";
import { ordinalOfResourceVersion, resourceVersionOf, revisionEndVersion, revisionOfResourceVersion } from "./resource-version.js";

test("resourceVersion = revision × 128 + ordinal, totally ordered across and within revisions", () => {
  assert.equal(resourceVersionOf(10), 1280);
  assert.equal(resourceVersionOf(10, 5), 1285);
  assert.equal(revisionOfResourceVersion(1285), 10);
  assert.equal(ordinalOfResourceVersion(1285), 5);
  assert.equal(revisionEndVersion(10), 1407);
  assert.ok(resourceVersionOf(10, 127) < resourceVersionOf(11, 0));
  assert.ok(revisionEndVersion(10) < resourceVersionOf(11));
  assert.throws(() => resourceVersionOf(10, 128), RangeError);
  assert.throws(() => resourceVersionOf(-1), RangeError);
  const large = 2 ** 45;
  assert.equal(revisionOfResourceVersion(resourceVersionOf(large, 7)), large);
});
