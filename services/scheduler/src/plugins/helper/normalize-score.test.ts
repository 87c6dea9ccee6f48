// Unit tests of defaultNormalizeScore.
import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultNormalizeScore } from "./normalize-score.js";

test("defaultNormalizeScore gives every node the maximum when all are zero and reversed", () => {
  const scores = Float64Array.of(0, 0);
  defaultNormalizeScore(100, true, scores);
  assert.deepEqual([...scores], [100, 100]);
  const forward = Float64Array.of(0, 0);
  defaultNormalizeScore(100, false, forward);
  assert.deepEqual([...forward], [0, 0]);
  const thirds = Float64Array.of(1, 3);
  defaultNormalizeScore(100, false, thirds);
  assert.deepEqual([...thirds], [33, 100]);
});
