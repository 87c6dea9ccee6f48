// Integration tests of WatchPublisher against real etcd and NATS JetStream.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { resourceVersionOf, revisionEndVersion, revisionOfResourceVersion } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import type { JetStreamClient, JetStreamManager } from "nats";
import { GAP_SUBJECT, KP_WATCH, PREV_REVISION_HEADER, REVISION_HEADER, WatchPublisher, objectSubject, podsByNodeSubject, type ChangeSource } from "../src/index.js";
import { PublishWindow } from "../src/publish-window.js";
import { deleteObject, putConfigMap, putPod, readStream, runPublisher, startHarness, waitForMessages, type Harness } from "./fixtures/harness.js";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.stop();
});
beforeEach(async () => {
  await h.resetStream();
});

test("publishes ADDED, MODIFIED and DELETED in revision order, pods also by node", async () => {
  const p = await runPublisher(h);
  try {
    const r1 = await putConfigMap(h.client, "default", "cfg.v1");
    const r2 = await putConfigMap(h.client, "default", "cfg.v1", "changed");
    const r3 = await putPod(h.client, "default", "web-0");
    const r4 = await putPod(h.client, "default", "web-0", "node-a");
    const r5 = await deleteObject(h.client, "pods", "default", "web-0");
    const r6 = await deleteObject(h.client, "configmaps", "default", "cfg.v1");
    // 2 config map events + 1 per pod event on the object subject + by-node: 1 + 2 (bind) + 1.
    await waitForMessages(h.jsm, 10);
    await waitFor(() => p.publisher.lastPublishedRevision === r6);
    const events = (await readStream(h.jsm)).map((e) => [e.revision, e.type, e.subject]);
    const cm = objectSubject("configmaps", "default", "cfg.v1");
    const pod = objectSubject("pods", "default", "web-0");
    assert.deepEqual(events, [
      [r1, "ADDED", cm],
      [r2, "MODIFIED", cm],
      [r3, "ADDED", pod],
      [r3, "ADDED", podsByNodeSubject("", "default", "web-0")],
      [r4, "MODIFIED", pod],
      [r4, "DELETED", podsByNodeSubject("", "default", "web-0")],
      [r4, "ADDED", podsByNodeSubject("node-a", "default", "web-0")],
      [r5, "DELETED", pod],
      [r5, "DELETED", podsByNodeSubject("node-a", "default", "web-0")],
      [r6, "DELETED", cm],
    ]);
  } finally {
    await p.stop();
  }
});

test("a new publisher resumes after the last published revision with no duplicates and no gaps", async () => {
  const first = await runPublisher(h);
  const written: number[] = [];
  for (let i = 0; i < 5; i++) written.push(await putConfigMap(h.client, "resume", `cm-${i}`));
  await waitFor(() => first.publisher.lastPublishedRevision === written.at(-1));
  await first.stop();
  // Written while no publisher runs, including a pod whose revision spans two messages.
  for (let i = 5; i < 10; i++) written.push(await putConfigMap(h.client, "resume", `cm-${i}`));
  const podRevision = await putPod(h.client, "resume", "p", "node-b");
  const second = await runPublisher(h);
  try {
    await waitFor(() => second.publisher.lastPublishedRevision === podRevision);
    const events = await readStream(h.jsm);
    assert.deepEqual(events.map((e) => e.revision), [...written, podRevision, podRevision]);
    assert.equal(new Set(events.map((e) => e.msgId)).size, events.length);
  } finally {
    await second.stop();
  }
});

test("publishers replaying the same burst concurrently leave no duplicate messages", async () => {
  const a = await runPublisher(h);
  const written: number[] = [];
  for (let i = 0; i < 10; i++) written.push(await putPod(h.client, "burst", `p-${i}`));
  // A second leader (the old one not yet dead) starts mid-burst from the stream's tail and replays.
  const b = await runPublisher(h);
  try {
    for (let i = 10; i < 30; i++) written.push(await putPod(h.client, "burst", `p-${i}`, i % 2 === 0 ? "node-a" : ""));
    const last = written.at(-1)!;
    await waitFor(() => a.publisher.lastPublishedRevision === last && b.publisher.lastPublishedRevision === last);
    const events = await readStream(h.jsm);
    assert.equal(events.length, written.length * 2);
    assert.equal(new Set(events.map((e) => e.msgId)).size, events.length);
    assert.deepEqual([...new Set(events.map((e) => e.revision))], written);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test("after etcd compacted the resume point, a gap marker continues the Kp-Prev-Revision chain", async () => {
  const first = await runPublisher(h);
  const r1 = await putConfigMap(h.client, "compacted", "cm-0");
  await waitFor(() => first.publisher.lastPublishedRevision === r1);
  await first.stop();
  let compactedAt = 0;
  for (let i = 1; i <= 5; i++) compactedAt = await putConfigMap(h.client, "compacted", `cm-${i}`);
  // As etcd compacted at compactedAt: the source throws EtcdStore's CompactedError at that point.
  const source: ChangeSource = {
    currentRevision: () => h.source.currentRevision(),
    async *watchChanges(fromRevision, signal) {
      if (fromRevision <= revisionOfResourceVersion(compactedAt)) throw Object.assign(new Error(`revision ${fromRevision} has been compacted`), { name: "CompactedError" });
      yield* h.source.watchChanges(fromRevision, signal);
    },
  };
  const gaps: [number, number][] = [];
  const controller = new AbortController();
  const publisher = new WatchPublisher({ js: h.js, jsm: h.jsm, source, retryMaxMs: 200, onGap: (lastPublished, resumedAfter) => gaps.push([lastPublished, resumedAfter]) });
  const done = publisher.run(controller.signal);
  try {
    await waitFor(() => gaps.length > 0, { message: "a gap marker" });
    const r7 = await putConfigMap(h.client, "compacted", "cm-7");
    await waitFor(() => publisher.lastPublishedRevision === r7);
    // The marker carries the end version of the revision it resumed after.
    const gapAt = revisionEndVersion(revisionOfResourceVersion(compactedAt));
    assert.deepEqual(gaps, [[r1, gapAt]]);
    const chain = await readChain(h.jsm);
    assert.deepEqual(
      chain.map((e) => [e.revision, e.prevRevision]),
      [
        [r1, chain[0]!.prevRevision],
        [gapAt, r1],
        [r7, gapAt],
      ],
    );
    assert.equal(chain[1]!.msgId, `gap:${gapAt}`);
  } finally {
    controller.abort();
    await done;
  }
});

test("a stream ahead of etcd (a restore without a bump) is never published over; once it is purged, a gap marker at etcd's revision comes first", async () => {
  const first = await runPublisher(h);
  const r1 = await putConfigMap(h.client, "ahead", "cm-0");
  await waitFor(() => first.publisher.lastPublishedRevision === r1);
  await first.stop();
  const { state } = await h.jsm.streams.info(KP_WATCH);
  // As etcd restored from a snapshot taken before r1, its revision not moved on.
  const restoredAt = revisionOfResourceVersion(r1) - 1;
  const source: ChangeSource = {
    currentRevision: () => Promise.resolve(restoredAt),
    watchChanges: (fromRevision, signal) => h.source.watchChanges(Math.max(fromRevision, revisionOfResourceVersion(r1) + 1), signal),
  };
  const refusals: string[] = [];
  const controller = new AbortController();
  const publisher = new WatchPublisher({ js: h.js, jsm: h.jsm, source, retryInitialMs: 20, retryMaxMs: 50, logger: { warn: (_obj, msg) => refusals.push(msg) } });
  const done = publisher.run(controller.signal);
  try {
    await waitFor(() => refusals.filter((m) => /ahead of etcd/.test(m)).length >= 3, { message: "the publisher refuses, again and again" });
    assert.equal(publisher.resumeRevision, undefined);
    assert.equal((await h.jsm.streams.info(KP_WATCH)).state.last_seq, state.last_seq, "nothing published");
    await h.jsm.streams.purge(KP_WATCH); // the restore's reset-watch-stream step
    await waitFor(() => publisher.resumeRevision !== undefined, { message: "the publisher starts after the reset" });
    await waitFor(async () => (await readChain(h.jsm)).length > 0, { message: "the gap marker" });
    const [gap] = await readChain(h.jsm);
    assert.deepEqual([gap!.revision, gap!.msgId], [revisionEndVersion(restoredAt), `gap:${revisionEndVersion(restoredAt)}`]);
  } finally {
    controller.abort();
    await done;
  }
});

test("a burst of 3000 changes lands in strict revision order with a contiguous Kp-Prev-Revision chain", async () => {
  const p = await runPublisher(h);
  try {
    const written = await writeBurst(3000, "burst-order");
    await waitFor(() => p.publisher.lastPublishedRevision === written.at(-1), { timeoutMs: 30_000, message: "the burst to be published" });
    assertCompleteChain(await readChain(h.jsm), written);
  } finally {
    await p.stop();
  }
});

test("a NATS restart in the middle of a pipelined burst leaves a complete, ordered, duplicate-free stream", async () => {
  const p = await startPublisher({ publishTimeoutMs: 1_000 });
  try {
    const burst = writeBurst(4000, "burst-restart");
    // Restart while changes are still coming in and messages are in flight.
    await waitFor(() => p.publisher.lastPublishedRevision >= resourceVersionOf(p.publisher.resumeRevision! + 500), { timeoutMs: 30_000 });
    await h.nats.restart();
    const written = await burst;
    await waitFor(() => p.publisher.lastPublishedRevision === written.at(-1), { timeoutMs: 60_000, message: "the burst to be published after the restart" });
    assertCompleteChain(await readChain(h.jsm), written);
    assert.ok(p.warnings.includes("publish failed; resuming from the stream's last message"), "the restart interrupted publishing");
  } finally {
    await p.stop();
  }
});

test("a stale leader replaying old changes cannot interleave them into the stream", async () => {
  await h.resetStream({ duplicateWindowMs: 200 });
  const leader = await runPublisher(h);
  // The stale leader read the (empty) stream's tail, then stalled before publishing anything.
  let release!: () => void;
  const stalled = new Promise<void>((resolve) => (release = resolve));
  const stale = await startPublisher({ source: gatedSource(h.source, stalled) });
  try {
    const written = await writeBurst(300, "stale-a");
    await waitFor(() => leader.publisher.lastPublishedRevision === written.at(-1), { timeoutMs: 20_000 });
    // Past the duplicate window the stale leader's replays are no longer de-duplicated: only the
    // expected-predecessor check keeps them out. Waiting for time to pass, not for readiness.
    await delay(700);
    release();
    written.push(...(await writeBurst(300, "stale-b")));
    const last = written.at(-1)!;
    await waitFor(() => leader.publisher.lastPublishedRevision === last && stale.publisher.lastPublishedRevision === last, { timeoutMs: 30_000 });
    assertCompleteChain(await readChain(h.jsm), written);
    assert.ok(stale.warnings.includes("publish failed; resuming from the stream's last message"), "the stale leader was refused");
  } finally {
    await Promise.all([leader.stop(), stale.stop()]);
  }
});

test("a replay whose messages are still remembered is acknowledged as duplicates despite its stale expected predecessors", async () => {
  const subject = objectSubject("configmaps", "replay", "cm");
  const message = (revision: number): { subject: string; msgId: string; type: string; revision: number; payload: Uint8Array } => ({ subject, msgId: `${revision}:replay`, type: "ADDED", revision, payload: new Uint8Array(1) });
  const failures: unknown[] = [];
  const windowOpts = { js: h.js, maxInFlight: 4, timeoutMs: 5_000, prevRevision: 0, onFailure: (error: unknown) => failures.push(error) };
  const first = new PublishWindow({ ...windowOpts, first: { lastSequence: 0 } });
  for (let r = 1; r <= 5; r++) {
    assert.ok(await first.ready());
    first.publish(message(r));
  }
  assert.ok(await first.idle());
  // As after lost PubAcks: 1..5 again (JetStream 2.9 checks Nats-Msg-Id before Nats-Expected-Last-Msg-Id), then 6.
  const replay = new PublishWindow({ ...windowOpts, first: { lastSequence: 0 } });
  for (let r = 1; r <= 6; r++) {
    assert.ok(await replay.ready());
    replay.publish(message(r));
  }
  assert.ok(await replay.idle(), String(failures[0]));
  assert.deepEqual((await readStream(h.jsm)).map((e) => e.msgId), [1, 2, 3, 4, 5, 6].map((r) => `${r}:replay`));
});

test("a publisher whose publishes keep being refused backs off and stops promptly on abort", async () => {
  const attempts: number[] = [];
  const js = {
    publish: () => {
      attempts.push(performance.now());
      return Promise.reject(new Error("wrong last msg ID: someone-else"));
    },
  } as unknown as JetStreamClient;
  const p = await startPublisher({ js, retryInitialMs: 20, retryMaxMs: 200 });
  let stopped = false;
  try {
    const revision = await putConfigMap(h.client, "refused", "cm");
    await waitFor(() => attempts.length >= 7, { message: "repeated publish attempts" });
    // Back-off doubles from 20 ms to the 200 ms cap: by the 6th retry attempts are ≥ 200 ms apart.
    assert.ok(attempts[6]! - attempts[5]! >= 180, `attempts at ${attempts.map((t) => Math.round(t - attempts[0]!)).join(", ")} ms`);
    assert.notEqual(p.publisher.lastPublishedRevision, revision);
    const stopping = performance.now();
    await p.stop();
    stopped = true;
    assert.ok(performance.now() - stopping < 1_000, "run resolved promptly after abort");
  } finally {
    if (!stopped) await p.stop();
  }
});

interface ChainEntry {
  revision: number;
  prevRevision: number;
  msgId: string;
}

/** Every message's revision, Kp-Prev-Revision and msg id, in stream order. */
async function readChain(jsm: JetStreamManager): Promise<ChainEntry[]> {
  const { state } = await jsm.streams.info(KP_WATCH);
  const out: ChainEntry[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(KP_WATCH, { seq });
    out.push({ revision: Number(m.header.get(REVISION_HEADER)), prevRevision: Number(m.header.get(PREV_REVISION_HEADER)), msgId: m.header.get("Nats-Msg-Id") });
  }
  return out;
}

/** One message per written revision (config maps), in revision order, each naming its predecessor. */
function assertCompleteChain(chain: ChainEntry[], written: number[]): void {
  assert.equal(new Set(chain.map((e) => e.msgId)).size, chain.length, "duplicate msg ids");
  assert.deepEqual(
    chain.map((e) => e.revision),
    [...written].sort((a, b) => a - b),
  );
  for (let i = 1; i < chain.length; i++) assert.equal(chain[i]!.prevRevision, chain[i - 1]!.revision, `Kp-Prev-Revision of message ${i}`);
}

/** Writes `count` config maps, 100 at a time, and returns their revisions in write order. */
async function writeBurst(count: number, namespace: string): Promise<number[]> {
  const revisions: number[] = [];
  for (let i = 0; i < count; i += 100) {
    const batch = Array.from({ length: Math.min(100, count - i) }, (_, j) => putConfigMap(h.client, namespace, `cm-${i + j}`));
    revisions.push(...(await Promise.all(batch)));
  }
  return revisions.sort((a, b) => a - b);
}

/** A source whose first watch waits for `gate`: a leader stalled after reading its resume point. */
function gatedSource(inner: ChangeSource, gate: Promise<void>): ChangeSource {
  let first = true;
  return {
    currentRevision: () => inner.currentRevision(),
    async *watchChanges(fromRevision, signal) {
      if (first) {
        first = false;
        await gate;
      }
      yield* inner.watchChanges(fromRevision, signal);
    },
  };
}

/** Like `runPublisher`, with options and the warnings it logged. */
async function startPublisher(opts: { js?: JetStreamClient; source?: ChangeSource; publishTimeoutMs?: number; retryInitialMs?: number; retryMaxMs?: number }): Promise<{ publisher: WatchPublisher; warnings: string[]; stop(): Promise<void> }> {
  const controller = new AbortController();
  const warnings: string[] = [];
  const publisher = new WatchPublisher({ js: h.js, jsm: h.jsm, source: h.source, retryMaxMs: 200, ...opts, logger: { warn: (_obj, msg) => warnings.push(msg) } });
  const done = publisher.run(controller.signal);
  await Promise.race([waitFor(() => publisher.resumeRevision !== undefined, { message: "the publisher to start" }), done]);
  return {
    publisher,
    warnings,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

test("the window's own PubAcks: with no stream a message fails its window at once (no responders), one nobody acknowledges after the timeout", async () => {
  await h.jsm.streams.delete(KP_WATCH); // beforeEach of the next test makes it again
  const failures: unknown[] = [];
  const opts = { js: h.js, maxInFlight: 4, timeoutMs: 300, prevRevision: 0, first: { lastSequence: 0 }, onFailure: (error: unknown) => failures.push(error) };
  const message = { subject: GAP_SUBJECT, msgId: "1:pubacks", type: "GAP", revision: 1, payload: new Uint8Array(1) };
  const unrouted = new PublishWindow(opts);
  unrouted.publish(message);
  assert.equal(await unrouted.idle(), false);
  unrouted.close();
  assert.match(String(failures[0]), /503/);
  // A plain subscriber takes the message and never answers: no PubAck, so the window's timer ends it.
  const listener = h.nc.subscribe(GAP_SUBJECT);
  try {
    const unanswered = new PublishWindow(opts);
    const started = performance.now();
    unanswered.publish(message);
    assert.equal(await unanswered.idle(), false);
    assert.ok(performance.now() - started >= 290, "not before its timeout");
    unanswered.close();
    assert.match(String(failures[1]), /timed out after 300 ms/);
    assert.equal(failures.length, 2);
  } finally {
    listener.unsubscribe();
  }
});
