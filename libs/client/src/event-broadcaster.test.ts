// Unit tests of the event broadcaster's queue: bounded writers, drops beyond the queue, flush.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { apiErrors, kindFor, type ApiObject } from "@kubeplane/api";
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
