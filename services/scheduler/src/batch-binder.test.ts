// BatchBinder: bindings wait for a free call slot and leave together; each settles with its own outcome.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { apiErrors, type ApiError } from "@kubeplane/api";
import type { PodBindingRequest } from "@kubeplane/client";
import { BatchBinder, type BindingClient } from "./batch-binder.js";

/** A client whose BindPods calls stay open until `release()`; pods named "taken" fail with Conflict. */
function slowClient() {
  const calls: string[][] = [];
  const singles: string[] = [];
  const open: Array<() => void> = [];
  let batchSupported = true;
  const client: BindingClient = {
    bindPods: (bindings: readonly PodBindingRequest[]) => {
      if (!batchSupported) return Promise.reject(apiErrors.apiError("MethodNotAllowed", "unknown method BindPods"));
      calls.push(bindings.map((b) => b.pod));
      return new Promise<(ApiError | undefined)[]>((resolve) => {
        open.push(() => resolve(bindings.map((b) => (b.pod === "taken" ? apiErrors.conflict({ resource: "pods", name: b.pod }, "already assigned") : undefined))));
      });
    },
    bind: async (_ns, pod) => {
      singles.push(pod);
    },
  };
  return {
    client,
    calls,
    singles,
    release: () => open.splice(0).forEach((f) => f()),
    dropBatchSupport: () => (batchSupported = false),
  };
}

const signal = new AbortController().signal;
/** Lets the settled call's bookkeeping (its slot freed, the next call sent) run: promise callbacks only, no timer. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const req = (pod: string): PodBindingRequest => ({ namespace: "ns", pod, node: "n1" });

describe("BatchBinder", () => {
  it("sends at once while a call slot is free, then batches what waits, at most maxBatch a call", async () => {
    const c = slowClient();
    const binder = new BatchBinder({ client: c.client, maxBatch: 3, maxInFlight: 1 });
    const done = ["a", "b", "c", "d", "e"].map((p) => binder.bind(req(p), signal));
    assert.deepEqual(c.calls, [["a"]]);
    c.release();
    await done[0];
    await settle();
    assert.deepEqual(c.calls, [["a"], ["b", "c", "d"]]);
    c.release();
    await done[3];
    await settle();
    assert.deepEqual(c.calls, [["a"], ["b", "c", "d"], ["e"]]);
    c.release();
    await Promise.all(done);
    assert.equal(binder.calls, 3);
    assert.equal(binder.bindings, 5);
  });

  it("a failed binding rejects alone; its neighbours in the call are bound", async () => {
    const c = slowClient();
    const binder = new BatchBinder({ client: c.client, maxInFlight: 1 });
    const first = binder.bind(req("x"), signal);
    const batch = [binder.bind(req("ok1"), signal), binder.bind(req("taken"), signal), binder.bind(req("ok2"), signal)];
    c.release();
    await first;
    await settle();
    c.release();
    const outcomes = await Promise.allSettled(batch);
    assert.deepEqual(outcomes.map((o) => o.status), ["fulfilled", "rejected", "fulfilled"]);
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /already assigned/);
  });

  it("falls back to single binds when the apiserver has no BindPods", async () => {
    const c = slowClient();
    c.dropBatchSupport();
    const binder = new BatchBinder({ client: c.client });
    await Promise.all([binder.bind(req("a"), signal), binder.bind(req("b"), signal)]);
    await binder.bind(req("c"), signal);
    assert.deepEqual(c.singles, ["a", "b", "c"]);
  });
});
