// Unit tests of the scheduling queue: priority order, backoff, moving unschedulable pods back.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coreV1Pod } from "@kubeplane/api";
import type { ClusterEvent, Pod } from "./interface.js";
import { SchedulingQueue } from "./queue.js";

function pod(name: string, opts: { priority?: number; created?: string } = {}): Pod {
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: "default", name, creationTimestamp: opts.created ?? "2026-01-01T00:00:00Z" },
    spec: { containers: [{ name: "c", image: "i" }], ...(opts.priority !== undefined ? { priority: opts.priority } : {}) },
  });
}

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

async function popName(q: SchedulingQueue): Promise<string> {
  const qp = await q.pop();
  return qp!.podInfo.pod.metadata!.name;
}

describe("scheduling queue", () => {
  it("pops higher priority first, then older pods", async () => {
    const q = new SchedulingQueue();
    q.add(pod("young-low", { created: "2026-01-01T00:00:05Z" }));
    q.add(pod("old-low", { created: "2026-01-01T00:00:01Z" }));
    q.add(pod("high", { priority: 1000, created: "2026-01-01T00:00:09Z" }));
    q.add(pod("mid", { priority: 10 }));
    assert.deepEqual([await popName(q), await popName(q), await popName(q), await popName(q)], ["high", "mid", "old-low", "young-low"]);
  });

  it("never hands out a pod in flight twice; an add while in flight waits for done", async () => {
    const q = new SchedulingQueue();
    q.add(pod("a"));
    const first = await q.pop();
    q.add(pod("a"));
    assert.equal(q.pending().active, 0);
    q.done(first!.podInfo.key);
    assert.equal(q.pending().active, 1);
  });

  it("backs off failed pods 1 s doubling per attempt up to 10 s", async () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => q.backoffDuration(a)), [1000, 2000, 4000, 8000, 10000, 10000]);
    q.add(pod("a"));
    const qp = (await q.pop())!;
    q.addUnschedulable(qp, { error: true });
    q.done(qp.podInfo.key);
    assert.equal(q.pending().backoff, 1);
    c.advance(999);
    q.flushBackoffCompleted();
    assert.equal(q.pending().backoff, 1);
    c.advance(1);
    q.flushBackoffCompleted();
    assert.equal(q.pending().active, 1);
    const again = (await q.pop())!;
    assert.equal(again.attempts, 2);
    q.addUnschedulable(again, { error: true });
    q.done(again.podInfo.key);
    c.advance(1999);
    q.flushBackoffCompleted();
    assert.equal(q.pending().backoff, 1, "second retry waits 2 s");
  });

  it("keeps unschedulable pods until a node is added, then retries them after backoff", async () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(pod("a"));
    const qp = (await q.pop())!;
    q.addUnschedulable(qp);
    q.done(qp.podInfo.key);
    assert.deepEqual(q.pending(), { active: 0, backoff: 0, unschedulable: 1, inFlight: 0 });
    c.advance(5_000);
    q.flushBackoffCompleted();
    assert.equal(q.pending().unschedulable, 1, "no event, no retry");
    q.moveAllToActiveOrBackoff("NodeAdd");
    assert.deepEqual(q.pending(), { active: 1, backoff: 0, unschedulable: 0, inFlight: 0 });
    assert.equal(await popName(q), "a");
  });

  it("a status-only update does not retry an unschedulable pod; a spec change does", async () => {
    const q = new SchedulingQueue();
    q.add(pod("a"));
    const qp = (await q.pop())!;
    q.addUnschedulable(qp);
    q.done(qp.podInfo.key);
    const withStatus = pod("a");
    withStatus.status = coreV1Pod.PodStatus.fromPartial({ phase: "Pending", conditions: [{ type: "PodScheduled", status: "False" }] });
    q.update(withStatus);
    assert.equal(q.pending().unschedulable, 1);
    const changed = pod("a");
    changed.spec!.nodeSelector = { zone: "b" };
    q.update(changed);
    assert.equal(q.pending().unschedulable, 0);
  });

  it("a move request during a pod's attempt sends its failure to backoff, not the unschedulable set", async () => {
    const q = new SchedulingQueue();
    q.add(pod("a"));
    const qp = (await q.pop())!;
    q.moveAllToActiveOrBackoff("NodeAdd");
    q.addUnschedulable(qp);
    q.done(qp.podInfo.key);
    assert.equal(q.pending().unschedulable, 0);
    assert.equal(q.pending().backoff + q.pending().active, 1);
  });

  it("the periodic flush retries pods unschedulable for 60 s", async () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(pod("a"));
    const qp = (await q.pop())!;
    q.addUnschedulable(qp);
    q.done(qp.podInfo.key);
    c.advance(59_000);
    q.flushUnschedulableLeftover();
    assert.equal(q.pending().unschedulable, 1);
    c.advance(1_000);
    q.flushUnschedulableLeftover();
    assert.equal(q.pending().active, 1);
  });

  it("deleting a pod removes it; close wakes a waiting pop", async () => {
    const q = new SchedulingQueue();
    q.add(pod("a"));
    q.delete(pod("a"));
    const waiting = q.pop();
    q.close();
    assert.equal(await waiting, undefined);
  });

  describe("event hints", () => {
    const hinted = (): SchedulingQueue => {
      const q = new SchedulingQueue({ initialBackoffMs: 0 });
      q.setPluginEvents(new Map([
        ["NodeResourcesFit", new Set<ClusterEvent>(["AssignedPodDelete", "NodeAdd"])],
        ["VolumeBinding", new Set<ClusterEvent>(["PvcAdd"])],
      ]));
      return q;
    };
    async function rejectedBy(q: SchedulingQueue, name: string, plugins?: string[]): Promise<void> {
      q.add(pod(name));
      const qp = (await q.pop())!;
      q.addUnschedulable(qp, plugins ? { plugins: new Set(plugins) } : {});
      q.done(qp.podInfo.key);
    }

    it("moves only the pods whose rejecting plugins registered the event", async () => {
      const q = hinted();
      await rejectedBy(q, "full", ["NodeResourcesFit"]);
      await rejectedBy(q, "claimless", ["VolumeBinding"]);
      await rejectedBy(q, "both", ["NodeResourcesFit", "VolumeBinding"]);
      q.moveAllToActiveOrBackoff("PvcAdd");
      assert.equal(q.pending().unschedulable, 1);
      assert.deepEqual([await popName(q), await popName(q)].sort(), ["both", "claimless"]);
      q.moveAllToActiveOrBackoff("NodeUpdate");
      assert.equal(q.pending().unschedulable, 1, "NodeResourcesFit did not register NodeUpdate");
      q.moveAllToActiveOrBackoff("AssignedPodDelete");
      assert.equal(await popName(q), "full");
    });

    it("a pod rejected by a plugin without hints, or by no known plugin, moves on any event", async () => {
      const q = hinted();
      await rejectedBy(q, "unhinted", ["SomeoneElse"]);
      await rejectedBy(q, "unknown");
      q.moveAllToActiveOrBackoff("PvAdd");
      assert.equal(q.pending().unschedulable, 0);
    });

    it("an event during the attempt sends the failure to backoff only if it could help", async () => {
      const q = hinted();
      q.add(pod("p"));
      let qp = (await q.pop())!;
      q.moveAllToActiveOrBackoff("PvcAdd");
      q.addUnschedulable(qp, { plugins: new Set(["NodeResourcesFit"]) });
      q.done(qp.podInfo.key);
      assert.equal(q.pending().unschedulable, 1, "a claim does not free cpu");
      q.moveAllToActiveOrBackoff("NodeAdd");
      qp = (await q.pop())!;
      q.moveAllToActiveOrBackoff("AssignedPodDelete");
      q.addUnschedulable(qp, { plugins: new Set(["NodeResourcesFit"]) });
      q.done(qp.podInfo.key);
      assert.equal(q.pending().unschedulable, 0);
      assert.equal(await popName(q), "p");
    });
  });
});
