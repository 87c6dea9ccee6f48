// The store's etcd retry policy: reads are resent after a recoverable error, writes are not.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BrokenCircuitError } from "cockatiel";
import { GRPCUnavailableError } from "etcd3";
import { etcdRetryPolicy, withoutResend } from "./retry-policy.js";

/** A call failing `failures` times with `err()`, then answering; counts its attempts. */
function flaky(failures: number, err: () => Error): { attempts: number; call: () => Promise<string> } {
  const state = {
    attempts: 0,
    call: async (): Promise<string> => {
      state.attempts++;
      if (state.attempts <= failures) throw err();
      return "ok";
    },
  };
  return state;
}

test("a read is resent after Unavailable, up to three attempts", async () => {
  const read = flaky(2, () => new GRPCUnavailableError("leader lost"));
  assert.equal(await etcdRetryPolicy().execute(() => read.call()), "ok");
  assert.equal(read.attempts, 3);
});

test("a write is not resent after Unavailable: its outcome is unknown", async () => {
  const policy = etcdRetryPolicy();
  const write = flaky(1, () => new GRPCUnavailableError("leader lost"));
  await assert.rejects(withoutResend(() => policy.execute(() => write.call())), GRPCUnavailableError);
  assert.equal(write.attempts, 1);
});

test("a write is resent when the member's circuit was open (nothing was sent)", async () => {
  const policy = etcdRetryPolicy();
  const write = flaky(1, () => new BrokenCircuitError());
  assert.equal(await withoutResend(() => policy.execute(() => write.call())), "ok");
  assert.equal(write.attempts, 2);
});
