// Unit tests of the work queue's contract: fair, stingy, delayed and rate-limited adds, shutdown.
import assert from "node:assert/strict";
import { test } from "node:test";
import { waitFor } from "@kubeplane/testing";
import { ExponentialBackoff, MaxOf, TokenBucket } from "./rate-limiter.js";
import { WorkQueue } from "./work-queue.js";

test("keys come out in the order they were first added, repeated adds collapse", async () => {
  const q = new WorkQueue<string>();
  for (const k of ["a", "b", "a", "c", "b"]) q.add(k);
  assert.equal(q.length, 3);
  const got = [];
  for (let i = 0; i < 3; i++) {
    const item = await q.get();
    got.push(item.key);
    q.done(item.key!);
  }
  assert.deepEqual(got, ["a", "b", "c"]);
});

test("a key added while being processed is handed out again only after done, and never to two workers", async () => {
  const q = new WorkQueue<string>();
  q.add("x");
  const first = await q.get();
  q.add("x");
  q.add("x");
  assert.equal(q.length, 0, "not queued while processing");
  let second: string | undefined;
  void q.get().then((i) => (second = i.key));
  await new Promise((r) => setImmediate(r));
  assert.equal(second, undefined, "no second worker gets x while it is processed");
  q.done(first.key!);
  await waitFor(() => second === "x", { timeoutMs: 1000 });
});

test("a waiting get is woken by add", async () => {
  const q = new WorkQueue<number>();
  const pending = q.get();
  q.add(7);
  assert.deepEqual(await pending, { key: 7, shutdown: false });
});

test("addAfter delays the key and the earliest of two delayed adds wins", async () => {
  const q = new WorkQueue<string>();
  const start = Date.now();
  q.addAfter("k", 5000);
  q.addAfter("k", 30);
  const item = await q.get();
  assert.equal(item.key, "k");
  assert.ok(Date.now() - start < 4000, "the shorter delay won");
  q.shutDown();
});

test("shutDown wakes every waiting get with shutdown and drops queued keys", async () => {
  const q = new WorkQueue<string>();
  const waiting = [q.get(), q.get()];
  q.shutDown();
  for (const w of await Promise.all(waiting)) assert.equal(w.shutdown, true);
  q.add("late");
  assert.equal((await q.get()).shutdown, true);
});

test("shutDownWithDrain waits for keys in flight to be done", async () => {
  const q = new WorkQueue<string>();
  q.add("a");
  const item = await q.get();
  let drained = false;
  const drain = q.shutDownWithDrain().then(() => (drained = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, false);
  q.done(item.key!);
  await drain;
  assert.equal(drained, true);
});

test("exponential back-off doubles per failure up to its cap and forget resets it", () => {
  const b = new ExponentialBackoff<string>(5, 100);
  assert.deepEqual([b.when("k"), b.when("k"), b.when("k"), b.when("k"), b.when("k"), b.when("k")], [5, 10, 20, 40, 80, 100]);
  assert.equal(b.retries("k"), 6);
  b.forget("k");
  assert.equal(b.when("k"), 5);
});

test("the token bucket allows its burst at once and then paces at qps", () => {
  let now = 0;
  const bucket = new TokenBucket<string>(10, 3, () => now);
  assert.deepEqual([bucket.when("a"), bucket.when("b"), bucket.when("c")], [0, 0, 0]);
  assert.equal(Math.round(bucket.when("d")), 100);
  now = 1000;
  assert.equal(bucket.when("e"), 0);
});

test("MaxOf takes the longest delay of its limiters", () => {
  let now = 0;
  const limiter = new MaxOf<string>(new ExponentialBackoff<string>(5, 1000), new TokenBucket<string>(1, 1, () => now));
  assert.equal(limiter.when("a"), 5);
  assert.equal(Math.round(limiter.when("a")), 1000);
});
