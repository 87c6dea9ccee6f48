// Tests of kubectl's AGE formatting.
import assert from "node:assert/strict";
import { test } from "node:test";
import { age, humanDuration } from "./age.js";

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

test("ages read like kubectl's", () => {
  assert.equal(humanDuration(5 * s), "5s");
  assert.equal(humanDuration(119 * s), "119s");
  assert.equal(humanDuration(3 * m + 12 * s), "3m12s");
  assert.equal(humanDuration(4 * m), "4m");
  assert.equal(humanDuration(45 * m + 30 * s), "45m");
  assert.equal(humanDuration(5 * h + 3 * m), "5h3m");
  assert.equal(humanDuration(20 * h + 59 * m), "20h");
  assert.equal(humanDuration(2 * d + 3 * h), "2d3h");
  assert.equal(humanDuration(3 * d), "3d");
  assert.equal(humanDuration(90 * d), "90d");
  assert.equal(humanDuration(800 * d), "2y70d");
  assert.equal(humanDuration(9 * 365 * d), "9y");
});

test("clock skew and missing timestamps", () => {
  assert.equal(humanDuration(-500), "0s");
  assert.equal(humanDuration(-5 * s), "<invalid>");
  const now = new Date("2026-01-01T00:10:00Z");
  assert.equal(age("2026-01-01T00:00:00Z", now), "10m");
  assert.equal(age(undefined, now), "<unknown>");
  assert.equal(age("yesterday", now), "<unknown>");
});
