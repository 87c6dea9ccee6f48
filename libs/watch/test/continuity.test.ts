// Integration tests of lost-history detection: a recreated stream, gap markers a filtered consumer cannot see, a stream that aged out mid-run.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { natsOptions, waitFor } from "@kubeplane/testing";
import { connect } from "nats";
import { revisionOfResourceVersion } from "@kubeplane/api";
import { GAP_TYPE, ResyncRequiredError, WatchPublisher, openEventStream, resourceFilter } from "../src/index.js";
import { collect, putConfigMap, readStream, runPublisher, startHarness, type Harness } from "./fixtures/harness.js";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.stop();
});


/** Makes the publisher skip history: etcd compacts past changes it has not published yet. */
async function compactPastThePublisher(namespace: string): Promise<void> {
  for (let i = 0; i < 3; i++) await putConfigMap(h.client, namespace, `skipped-${i}`);
  const rv = await putConfigMap(h.client, namespace, "skipped-last");
  await h.source.compact(revisionOfResourceVersion(rv));
}

test("a stream deleted and recreated under an open event stream is a resync, even once it has more messages", async () => {
  await h.resetStream();
  const p = await runPublisher(h);
  const controller = new AbortController();
  try {
    const stream = await openEventStream(h.js, h.jsm, { filterSubjects: [resourceFilter("configmaps", "recreated")], signal: controller.signal });
    const got = collect(stream);
    for (let i = 0; i < 3; i++) await putConfigMap(h.client, "recreated", `cm-${i}`);
    await waitFor(() => got.events.length === 3, { message: "three events" });
    await p.stop();
    await h.resetStream();
    const q = await runPublisher(h);
    try {
      // The new stream soon holds more messages than the old one: sequence numbers alone look continuous.
      for (let i = 0; i < 10; i++) await putConfigMap(h.client, "recreated", `cm-new-${i}`);
      await waitFor(() => got.failure(), { timeoutMs: 60_000, message: "the event stream to fail" });
      assert.ok(got.failure() instanceof ResyncRequiredError, String(got.failure()));
    } finally {
      await q.stop();
    }
  } finally {
    controller.abort();
    await p.stop();
  }
});

test("a gap marker the filter cannot include (nats-server 2.9) still ends a filtered event stream", async () => {
  await h.resetStream();
  const controller = new AbortController();
  let p = await runPublisher(h);
  try {
    const stream = await openEventStream(h.js, h.jsm, { filterSubjects: [resourceFilter("configmaps", "quiet")], signal: controller.signal });
    const got = collect(stream);
    // The stream has a tail to resume from (an empty new stream would start after etcd's current revision).
    const tail = await putConfigMap(h.client, "elsewhere", "tail");
    await waitFor(() => p.publisher.lastPublishedRevision === tail, { message: "the tail published" });
    await p.stop();
    await compactPastThePublisher("elsewhere");
    p = await runPublisher(h);
    await waitFor(async () => (await readStream(h.jsm)).some((m) => m.type === GAP_TYPE), { message: "a gap marker in the stream" });
    await waitFor(() => got.failure(), { message: "the filtered event stream to fail" });
    assert.ok(got.failure() instanceof ResyncRequiredError);
    assert.equal(got.events.length, 0, "nothing on its own subject was published");
  } finally {
    controller.abort();
    await p.stop();
  }
});

test("a reader NATS may not let subscribe to the gap subject finds the marker by polling", async () => {
  await h.resetStream();
  // A reader's permissions allow only its inbox: the gap subscription is refused.
  const nc = await connect({ ...natsOptions(h.nats.url, "admin"), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const controller = new AbortController();
  let p = await runPublisher(h);
  try {
    const stream = await openEventStream(nc.jetstream(), await nc.jetstreamManager(), {
      filterSubjects: [resourceFilter("configmaps", "reader")],
      signal: controller.signal,
      continuityCheckIntervalMs: 100,
    });
    const got = collect(stream);
    const tail = await putConfigMap(h.client, "elsewhere-2", "tail");
    await waitFor(() => p.publisher.lastPublishedRevision === tail, { message: "the tail published" });
    await p.stop();
    await compactPastThePublisher("elsewhere-2");
    p = await runPublisher(h);
    await waitFor(() => got.failure(), { message: "the reader's event stream to fail" });
    assert.ok(got.failure() instanceof ResyncRequiredError);
  } finally {
    controller.abort();
    await p.stop();
    await nc.close();
  }
});

test("a publisher whose stream aged out during a NATS outage goes on from its last acknowledged revision, without a gap", async () => {
  await h.resetStream({ maxAgeMs: 1_500, duplicateWindowMs: 1_000 });
  const published: number[] = [];
  const gaps: number[] = [];
  const controller = new AbortController();
  const publisher = new WatchPublisher({
    js: h.js,
    jsm: h.jsm,
    source: h.source,
    retryMaxMs: 200,
    onPublished: (_resource, _type, revision) => published.push(revision),
    onGap: (_last, resumedAfter) => gaps.push(resumedAfter),
  });
  const done = publisher.run(controller.signal);
  try {
    await waitFor(() => publisher.resumeRevision !== undefined, { message: "the publisher to start" });
    const first = await putConfigMap(h.client, "aged", "cm-0");
    await waitFor(() => published.includes(first), { message: "the first change published" });
    await h.nats.kill();
    const written: number[] = [];
    for (let i = 1; i <= 5; i++) written.push(await putConfigMap(h.client, "aged", `cm-${i}`));
    // Down past the stream's max age: on restart the stream is empty and its last sequence > 0.
    await new Promise((r) => setTimeout(r, 2_000));
    await h.nats.restart();
    await waitFor(() => written.every((r) => published.includes(r)) || gaps.length > 0, { timeoutMs: 20_000, message: "the outage's changes published" });
    assert.deepEqual(gaps, [], "no gap marker: nothing was skipped");
    assert.deepEqual(published.filter((r) => r > first), written);
  } finally {
    controller.abort();
    await done;
  }
});
