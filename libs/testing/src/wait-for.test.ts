// Unit tests of waitFor: resolving, retrying thrown probes, and timing out with a named error.
import assert from "node:assert/strict";
import { test } from "node:test";
import { WaitTimeoutError } from "./errors.js";
import { waitFor } from "./wait-for.js";

test("waitFor resolves with the first truthy probe value", async () => {
  let calls = 0;
  const value = await waitFor(() => (++calls >= 3 ? { ready: calls } : undefined), { intervalMs: 1 });
  assert.deepEqual(value, { ready: 3 });
});

test("waitFor retries a probe that throws or rejects until it succeeds", async () => {
  let calls = 0;
  const value = await waitFor(
    async () => {
      calls++;
      if (calls === 1) throw new Error("not listening yet");
      if (calls === 2) return Promise.reject(new Error("still starting"));
      return "up";
    },
    { intervalMs: 1 },
  );
  assert.equal(value, "up");
  assert.equal(calls, 3);
});

test("waitFor times out with a WaitTimeoutError naming what it waited for and the last error", async () => {
  const probeError = new Error("connection refused");
  const started = Date.now();
  const error = await waitFor(
    () => {
      throw probeError;
    },
    { timeoutMs: 100, intervalMs: 10, message: "the widget to be ready" },
  ).then(
    () => assert.fail("waitFor should have timed out"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WaitTimeoutError);
  assert.equal(error.name, "WaitTimeoutError");
  assert.equal(error.code, "WAIT_TIMEOUT");
  assert.match(error.message, /the widget to be ready/);
  assert.match(error.message, /connection refused/);
  assert.equal(error.cause, probeError);
  assert.ok(Date.now() - started < 1_000);
});

test("waitFor does not wait past its deadline for a probe that never settles", async () => {
  await assert.rejects(
    waitFor(() => new Promise<boolean>(() => {}), { timeoutMs: 50, message: "a hung probe" }),
    (error: unknown) => error instanceof WaitTimeoutError && /a hung probe/.test(error.message),
  );
});

test("waitFor rejects with the abort reason when its signal is aborted", async () => {
  const controller = new AbortController();
  const reason = new Error("test over");
  const waiting = waitFor(() => false, { signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(waiting, (error: unknown) => error === reason);
});
