// API Priority and Fairness' dispatcher: nominal seats, borrowing that keeps others' guaranteed seats, fair queues, refusals.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FlowController, RequestRejectedError, type Release } from "./fair-queue.js";
import { classify, defaultPriorityLevels } from "./priority-levels.js";

const levels = [
  { name: "system", shares: 50, lendablePercent: 50, queues: 8, handSize: 2, queueLengthLimit: 5 },
  { name: "global-default", shares: 50, lendablePercent: 50, queues: 8, handSize: 2, queueLengthLimit: 5 },
  { name: "catch-all", shares: 0, lendablePercent: 0, queues: 0, handSize: 0, queueLengthLimit: 0 },
];

const reasonOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return "granted";
  } catch (err) {
    assert.ok(err instanceof RequestRejectedError);
    return err.reason;
  }
};

test("a level borrows idle seats but never the other levels' guaranteed ones", async () => {
  const fc = new FlowController({ serverConcurrencyLimit: 8, queueWaitMs: 10_000, levels });
  assert.deepEqual([...fc.nominalSeats()], [["system", 4], ["global-default", 4], ["catch-all", 1]]);
  // global-default: 4 nominal + borrowed seats while system's 2 guaranteed (and catch-all's 1) stay free.
  const held: Release[] = [];
  for (let i = 0; i < 5; i++) held.push(await fc.acquire("global-default", "global-default", "alice"));
  const queued = fc.acquire("global-default", "global-default", "alice");
  let sixth = false;
  void queued.then(() => (sixth = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(sixth, false, "the sixth seat would take system's guaranteed seats");
  // The system level still gets its nominal seats at once.
  const sys = await Promise.all([1, 2, 3, 4].map(() => fc.acquire("system", "system-nodes", "system:node:n1")));
  for (const r of sys) r();
  held[0]!();
  (await queued)();
  for (const r of held) r();
});

test("flows share a level round robin: a flood's backlog does not delay another flow's requests", async () => {
  const fc = new FlowController({ serverConcurrencyLimit: 2, queueWaitMs: 10_000, levels: [levels[1]!] });
  const first = await fc.acquire("global-default", "g", "alice");
  const second = await fc.acquire("global-default", "g", "alice");
  const order: string[] = [];
  const waiters: Promise<void>[] = [];
  for (let i = 0; i < 8; i++) waiters.push(fc.acquire("global-default", "g", "alice").then((r) => (order.push("alice"), r())));
  waiters.push(fc.acquire("global-default", "g", "bob").then((r) => (order.push("bob"), r())));
  first();
  second();
  await Promise.all(waiters);
  assert.ok(order.indexOf("bob") <= 2, `bob was served after ${order.indexOf("bob")} of alice's queued requests: ${order.join(",")}`);
});

test("a full queue, an exhausted catch-all, a wait past the timeout and a cancelled wait are refused", async () => {
  const fc = new FlowController({ serverConcurrencyLimit: 2, queueWaitMs: 50, levels: [levels[1]!, levels[2]!] });
  const seats = [await fc.acquire("global-default", "g", "alice"), await fc.acquire("global-default", "g", "alice")];
  const waits = Array.from({ length: 10 }, () => reasonOf(fc.acquire("global-default", "g", "alice")));
  assert.equal(await reasonOf(fc.acquire("global-default", "g", "alice")), "queue-full", "a hand of 2 queues of 5 holds 10");
  assert.deepEqual(new Set(await Promise.all(waits)), new Set(["time-out"]));
  const catchAll = await fc.acquire("catch-all", "c", "x");
  assert.equal(await reasonOf(fc.acquire("catch-all", "c", "y")), "concurrency-limit");
  const abort = new AbortController();
  const cancelled = reasonOf(fc.acquire("global-default", "g", "alice", abort.signal));
  abort.abort();
  assert.equal(await cancelled, "cancelled");
  for (const r of [...seats, catchAll]) r();
});

test("flow schemas: nodes are system, the scheduler's lease calls leader-election, its other calls workload-high, users global-default", () => {
  const levelOf = (username: string, groups: string[], method = "list", resource = "pods"): string =>
    classify({ user: { username, groups: [...groups, "system:authenticated"] }, method, resource }).priorityLevel;
  assert.equal(levelOf("system:node:n1", ["system:nodes"]), "system");
  assert.equal(levelOf("system:kube-scheduler", [], "update", "leases"), "leader-election");
  assert.equal(levelOf("system:kube-scheduler", []), "workload-high");
  assert.equal(levelOf("system:serviceaccount:team:app", ["system:serviceaccounts"]), "workload-low");
  assert.equal(levelOf("system:serviceaccount:kube-system:ctrl", ["system:serviceaccounts"]), "workload-high");
  assert.equal(levelOf("alice", []), "global-default");
  assert.equal(levelOf("kubernetes-admin", ["system:masters"]), "global-default");
  assert.equal(classify({ user: { username: "system:anonymous", groups: ["system:unauthenticated"] }, method: "get", resource: "" }).priorityLevel, "catch-all");
  assert.ok(defaultPriorityLevels.every((l) => l.queues === 0 || l.handSize <= l.queues));
});
