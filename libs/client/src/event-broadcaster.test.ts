// Unit tests of the event broadcaster's queue: bounded writers, drops beyond the queue, flush.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { kindFor, type ApiObject } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { EventBroadcaster } from "./event-broadcaster.js";

const podKind = kindFor("v1", "Pod")!;
const pod = (name: string): ApiObject => ({ apiVersion: "v1", kind: "Pod", metadata: { namespace: "ns", name, uid: `uid-${name}` } }) as ApiObject;

/** A create that completes only when the test releases it. */
function gatedClient() {
  const pending: Array<{ event: { involvedObject?: { name?: string }; reason?: string }; release: (err?: Error) => void }> = [];
  let maxInFlight = 0;
  let inFlight = 0;
  const client = {
    create: (_kind: unknown, event: never) =>
      new Promise<never>((resolve, reject) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        pending.push({
          event,
          release: (err) => {
            inFlight--;
            if (err) reject(err);
            else resolve(event);
          },
        });
      }),
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
    const b = new EventBroadcaster({ client, component: "default-scheduler", instance: "sched-1" });
    b.record(podKind, pod("web"), "Normal", "Scheduled", "Successfully assigned ns/web to n1", "Binding");
    const e = pending[0]!.event as never as Record<string, any>;
    assert.match(e.metadata.name, /^web\.[0-9a-f]{16}$/);
    assert.equal(e.metadata.namespace, "ns");
    assert.deepEqual(
      { kind: e.involvedObject.kind, name: e.involvedObject.name, uid: e.involvedObject.uid, reason: e.reason, action: e.action, type: e.type, source: e.source.component, instance: e.reportingInstance, count: e.count },
      { kind: "Pod", name: "web", uid: "uid-web", reason: "Scheduled", action: "Binding", type: "Normal", source: "default-scheduler", instance: "sched-1", count: 1 },
    );
    assert.match(e.firstTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    pending[0]!.release();
    await b.flush();
  });
});
