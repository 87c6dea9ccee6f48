// SyncRunner: nothing before run, bursts coalesce, syncs never overlap, failures retry, the periodic sync, a clean stop.
import assert from "node:assert/strict";
import { test } from "node:test";
import { waitFor } from "@kubeplane/testing";
import { SyncRunner } from "./sync-runner.js";

/** A sync that records its calls and overlaps, and fails while `failing` is above 0. */
function recorder() {
  const r = { calls: 0, running: 0, maxRunning: 0, failing: 0, release: undefined as (() => void) | undefined, hold: false };
  const sync = async (): Promise<boolean> => {
    r.calls++;
    r.running++;
    r.maxRunning = Math.max(r.maxRunning, r.running);
    if (r.hold) await new Promise<void>((resolve) => (r.release = resolve));
    r.running--;
    if (r.failing > 0) {
      r.failing--;
      return false;
    }
    return true;
  };
  return { r, sync };
}

test("nothing syncs before run; a burst of changes during a sync becomes one more sync; syncs never overlap; stop waits for the sync in flight", async () => {
  const { r, sync } = recorder();
  const runner = new SyncRunner({ sync, minSyncPeriodMs: 20, syncPeriodMs: 3_600_000 });
  for (let i = 0; i < 5; i++) runner.queue();
  assert.equal(r.calls, 0, "queued before run: no sync");
  r.hold = true;
  const stop = new AbortController();
  const running = runner.run(stop.signal);
  await waitFor(() => r.release !== undefined, { timeoutMs: 10_000 });
  for (let i = 0; i < 50; i++) runner.queue();
  assert.equal(runner.idle, false);
  const first = r.release!;
  r.release = undefined;
  first();
  await waitFor(() => r.release !== undefined, { timeoutMs: 10_000 });
  r.hold = false;
  r.release!();
  await waitFor(() => runner.idle, { timeoutMs: 10_000 });
  assert.equal(r.calls, 2, "the first sync, then one for the 50 changes queued while it ran");
  assert.equal(r.maxRunning, 1);
  r.hold = true;
  r.release = undefined;
  runner.queue();
  await waitFor(() => r.release !== undefined, { timeoutMs: 10_000 });
  stop.abort();
  let stopped = false;
  void running.then(() => (stopped = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stopped, false, "run waits for the sync in flight");
  r.release!();
  await running;
  runner.queue();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(r.calls, 3, "nothing syncs after the stop");
});

test("a failed sync is retried after retryDelayMs, with the failure count in a row", async () => {
  const { r, sync } = recorder();
  r.failing = 2;
  const delays: number[] = [];
  const runner = new SyncRunner({
    sync,
    minSyncPeriodMs: 5,
    syncPeriodMs: 3_600_000,
    retryDelayMs: (failures) => {
      delays.push(failures);
      return 10 * failures;
    },
  });
  const stop = new AbortController();
  const running = runner.run(stop.signal);
  await waitFor(() => r.calls >= 3 && runner.idle, { timeoutMs: 10_000 });
  assert.deepEqual(delays, [1, 2], "one retry per failure");
  assert.equal(r.calls, 3, "two failures, then a success; no sync after it until something changes");
  stop.abort();
  await running;
});

test("the periodic sync calls onPeriodic, then syncs", async () => {
  const events: string[] = [];
  const runner = new SyncRunner({
    sync: () => {
      events.push("sync");
      return Promise.resolve(true);
    },
    minSyncPeriodMs: 5,
    syncPeriodMs: 50,
    onPeriodic: () => events.push("periodic"),
  });
  const stop = new AbortController();
  const running = runner.run(stop.signal);
  await waitFor(() => events.filter((e) => e === "periodic").length >= 2 && runner.idle, { timeoutMs: 10_000 });
  stop.abort();
  await running;
  assert.equal(events[0], "sync", "the first sync comes from run, not from the period");
  assert.equal(events.at(-1), "sync", "a periodic call is followed by a sync");
  assert.ok(events.filter((e) => e === "sync").length >= 2);
});
