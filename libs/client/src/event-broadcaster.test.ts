// Unit tests of the event broadcaster's queue: bounded writers, drops beyond the queue, flush.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { apiErrors, kindFor, type ApiObject, type coreV1Event } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { EventBroadcaster } from "./event-broadcaster.js";

const podKind = kindFor("v1", "Pod")!;
const pod = (name: string): ApiObject => ({ apiVersion: "v1", kind: "Pod", metadata: { namespace: "ns", name, uid: `uid-${name}` } }) as ApiObject;

interface Call {
  op: "create" | "patch";
  /** The event created, or the merge patch sent. */
  event: { involvedObject?: { name?: string }; reason?: string; count?: number; metadata?: { name?: string } };
  /** For a patch: the event's name. */
  name?: string;
  /** The count the write carried, read when the call was made (the event object changes later). */
  count: number;
  release: (err?: Error) => void;
}

/** A create/patch stand-in that completes each call only when the test releases it. */
function gatedClient() {
  const pending: Call[] = [];
  let maxInFlight = 0;
  let inFlight = 0;
  const call = (op: Call["op"], event: Call["event"], name?: string) =>
    new Promise<never>((resolve, reject) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      pending.push({
        op,
        event,
        name,
        count: event.count ?? 0,
        release: (err) => {
          inFlight--;
          if (err) reject(err);
          else resolve(event as never);
        },
      });
    });
  const client = {
    create: (_kind: unknown, event: Call["event"]) => call("create", event),
    patch: (_kind: unknown, _ns: string, name: string, patch: Call["event"]) => call("patch", patch, name),
  };
  return { client: client as never, pending, maxInFlight: () => maxInFlight };
}

describe("EventBroadcaster", () => {
  it("writes every event with at most `writers` in flight, then flush resolves", async () => {
    const { client, pending, maxInFlight } = gatedClient();
    const b = new EventBroadcaster({ client, component: "test", instance: "t-1", writers: 2 });
    for (let i = 0; i < 5; i++) b.record(podKind, pod(`p${i}`), "Normal", "Scheduled", `assigned p${i}`);
    assert.equal(pending.length, 2, "two writers started");
    const written: string[] = [];
    let flushed = false;
    const flushing = b.flush().then(() => (flushed = true));
    while (written.length < 5) {
      await waitFor(() => pending.length > 0, { message: "a write in flight" });
      const next = pending.shift()!;
      written.push(next.event.involvedObject!.name!);
      next.release();
    }
    await flushing;
    assert.equal(flushed, true);
    assert.deepEqual(written.sort(), ["p0", "p1", "p2", "p3", "p4"]);
    assert.equal(maxInFlight(), 2);
    assert.equal(b.dropped, 0);
  });

  it("drops and counts events beyond maxQueued while the writers are busy; a failed write does not stop the others", async () => {
    const { client, pending } = gatedClient();
    const dropped: string[] = [];
    const errors: string[] = [];
    const b = new EventBroadcaster({
      client,
      component: "test",
      instance: "t-1",
      writers: 1,
      maxQueued: 3,
      onDrop: (e) => dropped.push(e.involvedObject!.name),
      onError: (err) => errors.push((err as Error).message),
    });
    // One taken by the writer at once, three queued, two dropped.
    for (let i = 0; i < 6; i++) b.record(podKind, pod(`p${i}`), "Warning", "FailedScheduling", "no fit");
    assert.equal(b.queued, 3);
    assert.deepEqual(dropped, ["p4", "p5"]);
    assert.equal(b.dropped, 2);
    pending.shift()!.release(new Error("apiserver said no"));
    for (let done = 0; done < 3; done++) {
      await waitFor(() => pending.length > 0, { message: "the next write" });
      pending.shift()!.release();
    }
    await b.flush();
    assert.deepEqual(errors, ["apiserver said no"]);
    assert.equal(b.queued, 0);
  });

  it("fills in the event as Kubernetes does", async () => {
    const { client, pending } = gatedClient();
    const b = new EventBroadcaster({ client, component: "kubelet", instance: "node-1", host: "node-1" });
    b.record(podKind, pod("web"), "Normal", "Started", "Started container app", "Started", "spec.containers{app}");
    b.record(podKind, pod("web"), "Normal", "Started", "Started container app", "Started", "spec.initContainers{app}");
    await waitFor(() => pending.length === 2, { message: "two events: the field path tells them apart" });
    const e = pending[0]!.event as never as Record<string, any>;
    assert.match(e.metadata.name, /^web\.[0-9a-f]{16}$/);
    assert.equal(e.metadata.namespace, "ns");
    assert.deepEqual(
      {
        kind: e.involvedObject.kind,
        name: e.involvedObject.name,
        uid: e.involvedObject.uid,
        fieldPath: e.involvedObject.fieldPath,
        reason: e.reason,
        action: e.action,
        type: e.type,
        source: e.source,
        instance: e.reportingInstance,
        count: e.count,
      },
      { kind: "Pod", name: "web", uid: "uid-web", fieldPath: "spec.containers{app}", reason: "Started", action: "Started", type: "Normal", source: { component: "kubelet", host: "node-1" }, instance: "node-1", count: 1 },
    );
    assert.match(e.firstTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    pending.shift()!.release();
    pending.shift()!.release();
    await b.flush();
  });

  it("folds identical events into one with a count: in the queued write, else by a patch", async () => {
    const { client, pending } = gatedClient();
    const b = new EventBroadcaster({ client, component: "kubelet", instance: "n1", writers: 1 });
    const crash = (): void => b.record(podKind, pod("web"), "Warning", "BackOff", "Back-off restarting failed container app in pod web");
    b.record(podKind, pod("other"), "Normal", "Pulled", "pulled"); // occupies the only writer
    crash();
    crash(); // still queued: folded into the queued create
    assert.equal(b.queued, 1);
    pending.shift()!.release();
    await waitFor(() => pending.length === 1, { message: "the BackOff create" });
    const created = pending.shift()!;
    assert.deepEqual([created.op, created.count], ["create", 2]);
    crash(); // the create is in flight: a patch of its own
    created.release();
    await waitFor(() => pending.length === 1, { message: "the count patch" });
    const patched = pending.shift()!;
    assert.deepEqual([patched.op, patched.name, patched.count], ["patch", created.event.metadata!.name, 3]);
    patched.release();
    b.record(podKind, pod("web"), "Warning", "BackOff", "a different message");
    await waitFor(() => pending.length === 1, { message: "a new event for a new message" });
    assert.equal(pending[0]!.op, "create");
    pending.shift()!.release();
    await b.flush();
  });

  it("writes an expired event anew when its count patch finds it gone", async () => {
    const { client, pending } = gatedClient();
    const b = new EventBroadcaster({ client, component: "kubelet", instance: "n1", writers: 1 });
    const unhealthy = (): void => b.record(podKind, pod("web"), "Warning", "Unhealthy", "Liveness probe failed: 503");
    unhealthy();
    pending.shift()!.release();
    await b.flush();
    unhealthy();
    await waitFor(() => pending.length === 1, { message: "the patch" });
    pending.shift()!.release(apiErrors.notFound({ resource: "events", name: "x" }));
    await waitFor(() => pending.length === 1, { message: "the create after NotFound" });
    assert.deepEqual([pending[0]!.op, pending[0]!.count], ["create", 2]);
    pending.shift()!.release();
    await b.flush();
  });

  it("lets one object send at most spamBurst events, refilled over time", async () => {
    const { client, pending } = gatedClient();
    let now = 1_000_000;
    const dropped: string[] = [];
    const b = new EventBroadcaster({ client, component: "c", instance: "i", spamBurst: 2, spamRefillMs: 60_000, now: () => now, onDrop: (e) => dropped.push(e.reason) });
    b.record(podKind, pod("a"), "Normal", "R1", "m");
    b.record(podKind, pod("a"), "Normal", "R2", "m");
    b.record(podKind, pod("a"), "Normal", "R3", "m");
    b.record(podKind, pod("b"), "Normal", "R4", "m"); // another object has its own bucket
    assert.deepEqual(dropped, ["R3"]);
    now += 60_000;
    b.record(podKind, pod("a"), "Normal", "R5", "m");
    assert.deepEqual(dropped, ["R3"], "one token back after the refill interval");
    b.record(podKind, pod("a"), "Normal", "R6", "m");
    assert.deepEqual(dropped, ["R3", "R6"]);
    while (pending.length) {
      pending.shift()!.release();
      await waitFor(() => pending.length > 0 || b.queued === 0, { message: "next write" });
    }
    await b.flush();
  });
});

/** A client with CreateEvents: each call (batch, or single create/patch) completes when the test releases it with its results or an error. */
function batchClient() {
  type Ev = Partial<coreV1Event.Event>;
  const calls: Array<{ op: "batch" | "create" | "patch"; names: string[]; counts: number[]; events: Ev[]; release: (outcome?: unknown[] | Error) => void }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const call = (op: "batch" | "create" | "patch", evs: Ev[]) =>
    new Promise<never>((resolve, reject) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      calls.push({
        op,
        names: evs.map((e) => e.involvedObject?.name ?? e.metadata?.name ?? ""),
        counts: evs.map((e) => e.count ?? 0),
        events: structuredClone(evs),
        release: (outcome) => {
          inFlight--;
          if (outcome instanceof Error) reject(outcome);
          else resolve((outcome ?? evs.map(() => undefined)) as never);
        },
      });
    });
  const client = {
    createEvents: (evs: Ev[]) => call("batch", evs),
    create: (_kind: unknown, e: Ev) => call("create", [e]),
    patch: (_kind: unknown, _ns: string, name: string, p: Ev) => call("patch", [{ ...p, involvedObject: { name } as coreV1Event.Event["involvedObject"] }]),
  };
  return { client: client as never, calls, maxInFlight: () => maxInFlight };
}

/** Releases calls one by one (each with `outcome(call)`) until nothing is queued or in flight. */
async function releaseAll(b: EventBroadcaster, calls: ReturnType<typeof batchClient>["calls"], outcome: (c: (typeof calls)[number]) => unknown[] | Error | undefined = () => undefined): Promise<void> {
  for (let i = 0; i < calls.length; i++) {
    calls[i]!.release(outcome(calls[i]!));
    await waitFor(() => calls.length > i + 1 || b.queued === 0, { message: "the next call" });
  }
  await b.flush();
}

describe("EventBroadcaster with CreateEvents", () => {
  it("sends a lone event at once and a burst in few batch calls, in order and unchanged", async () => {
    const { client, calls, maxInFlight } = batchClient();
    const b = new EventBroadcaster({ client, component: "default-scheduler", instance: "s-1" });
    for (let i = 0; i < 300; i++) b.record(podKind, pod(`p${i}`), "Normal", "Scheduled", `assigned ns/p${i} to node-${i % 7}`);
    // The first event left alone, with no wait; the second took the other call slot.
    assert.deepEqual(calls.map((c) => c.names), [["p0"], ["p1"]]);
    await releaseAll(b, calls);
    assert.deepEqual(calls.map((c) => c.names.length), [1, 1, 128, 128, 42]);
    assert.deepEqual([b.batchCalls, b.batchedEvents], [5, 300]);
    assert.ok(calls.every((c) => c.op === "batch"));
    assert.deepEqual(calls.flatMap((c) => c.names), Array.from({ length: 300 }, (_, i) => `p${i}`));
    assert.deepEqual(
      calls.flatMap((c) => c.events).map((e) => [e.metadata?.namespace, e.involvedObject?.uid, e.reason, e.message, e.type, e.count, e.source?.component]),
      Array.from({ length: 300 }, (_, i) => ["ns", `uid-p${i}`, "Scheduled", `assigned ns/p${i} to node-${i % 7}`, "Normal", 1, "default-scheduler"]),
    );
    assert.equal(maxInFlight(), 2);
  });

  it("reports each refused event on its own, folds repeats and patches counts singly", async () => {
    const errors: string[] = [];
    const { client, calls } = batchClient();
    const b = new EventBroadcaster({ client, component: "kubelet", instance: "n1", writers: 1, onError: (err, e) => errors.push(`${e.involvedObject!.name}: ${(err as Error).message}`) });
    b.record(podKind, pod("a"), "Normal", "Pulled", "pulled");
    b.record(podKind, pod("b"), "Warning", "BackOff", "back-off");
    b.record(podKind, pod("b"), "Warning", "BackOff", "back-off"); // folded into the queued create
    b.record(podKind, pod("c"), "Normal", "Pulled", "pulled");
    calls[0]!.release();
    await waitFor(() => calls.length === 2, { message: "the batch of b and c" });
    assert.deepEqual([calls[1]!.names, calls[1]!.counts], [["b", "c"], [2, 1]]);
    b.record(podKind, pod("b"), "Warning", "BackOff", "back-off"); // its create is in flight: a patch of its own
    calls[1]!.release([undefined, apiErrors.alreadyExists({ resource: "events", name: "c.x" })]);
    await waitFor(() => calls.length === 3, { message: "the count patch" });
    assert.deepEqual([calls[2]!.op, calls[2]!.counts], ["patch", [3]]);
    calls[2]!.release();
    await b.flush();
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^c: .*already exists/);
  });

  it("falls back to single creates against an apiserver without the call", async () => {
    const { client, calls } = batchClient();
    const b = new EventBroadcaster({ client, component: "c", instance: "i", writers: 1 });
    for (const name of ["a", "b", "c"]) b.record(podKind, pod(name), "Normal", "R", "m");
    await releaseAll(b, calls, (c) => (c.op === "batch" ? apiErrors.apiError("MethodNotAllowed", "unknown method CreateEvents") : undefined));
    b.record(podKind, pod("d"), "Normal", "R", "m");
    await releaseAll(b, calls);
    assert.deepEqual(calls.map((c) => `${c.op}:${c.names.join(",")}`), ["batch:a", "create:a", "create:b", "create:c", "create:d"]);
  });

  it("sends a batch refused across namespaces again per namespace", async () => {
    const { client, calls } = batchClient();
    const errors: unknown[] = [];
    const b = new EventBroadcaster({ client, component: "c", instance: "i", writers: 1, onError: (err) => errors.push(err) });
    const inNs = (ns: string, name: string): ApiObject => ({ apiVersion: "v1", kind: "Pod", metadata: { namespace: ns, name, uid: name } }) as ApiObject;
    for (const [ns, name] of [["x", "first"], ["x", "x1"], ["y", "y1"], ["x", "x2"]] as const) b.record(podKind, inNs(ns, name), "Normal", "R", "m");
    await releaseAll(b, calls, (c) => (c.names.includes("x1") && c.names.includes("y1") ? apiErrors.apiError("Forbidden", "cannot create events at the cluster scope") : undefined));
    assert.deepEqual(calls.map((c) => c.names), [["first"], ["x1", "y1", "x2"], ["x1", "x2"], ["y1"]]);
    assert.deepEqual(errors, []);
  });
});
