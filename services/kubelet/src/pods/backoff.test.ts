// Unit tests of the restart/pull back-off: doubling, the cap, the window and forgetting.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Backoff } from "./backoff.js";

test("back-off starts at the initial delay, doubles, and stops at the maximum", () => {
  let now = 0;
  const b = new Backoff(10_000, 300_000, () => now);
  const delays = [];
  for (let i = 0; i < 8; i++) delays.push(b.next("k", now));
  assert.deepEqual(delays, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  now += 1;
  assert.equal(b.get("k"), 300_000);
});

test("a failure is in back-off until its delay has passed since it finished", () => {
  let now = 1_000_000;
  const b = new Backoff(10_000, 300_000, () => now);
  const finishedAt = now;
  b.next("k");
  assert.equal(b.isInBackOffSince("k", finishedAt), true);
  assert.equal(b.remaining("k", finishedAt), 10_000);
  now += 9_999;
  assert.equal(b.isInBackOffSince("k", finishedAt), true);
  now += 1;
  assert.equal(b.isInBackOffSince("k", finishedAt), false);
  assert.equal(b.isInBackOffSince("other", finishedAt), false);
});

test("an entry quiet for twice the maximum is forgotten, and reset/resetPrefix forget at once", () => {
  let now = 0;
  const b = new Backoff(1_000, 4_000, () => now);
  b.next("pod-a/c1");
  b.next("pod-a/c1");
  assert.equal(b.get("pod-a/c1"), 2_000);
  now += 8_001;
  assert.equal(b.get("pod-a/c1"), 0);
  assert.equal(b.next("pod-a/c1"), 1_000, "starts over after expiry");
  b.next("pod-a/c2");
  b.next("pod-b/c1");
  b.resetPrefix("pod-a/");
  assert.equal(b.get("pod-a/c1"), 0);
  assert.equal(b.get("pod-a/c2"), 0);
  assert.equal(b.get("pod-b/c1"), 1_000);
  b.reset("pod-b/c1");
  assert.equal(b.get("pod-b/c1"), 0);
});
