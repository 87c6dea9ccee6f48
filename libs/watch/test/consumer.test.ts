// Integration tests of openEventStream: resuming by revision, Gone, and a NATS restart mid-stream.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { waitFor } from "@kubeplane/testing";
import { RevisionGoneError, openEventStream, resourceFilter } from "../src/index.js";
import { collect, putConfigMap, runPublisher, startHarness, waitForMessages, type Harness } from "./fixtures/harness.js";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.stop();
});


test("from a revision, the stream replays the events after it, then follows new ones", async () => {
  await h.resetStream();
  const p = await runPublisher(h);
  const controller = new AbortController();
  try {
    const written: number[] = [];
    for (let i = 0; i < 8; i++) written.push(await putConfigMap(h.client, "replay", `cm-${i}`));
    await waitFor(() => p.publisher.lastPublishedRevision === written.at(-1));
    const stream = await openEventStream(h.js, h.jsm, { filterSubjects: [resourceFilter("configmaps", "replay")], afterRevision: written[2]!, signal: controller.signal });
    const got = collect(stream);
    written.push(await putConfigMap(h.client, "replay", "cm-late"));
    await waitFor(() => got.events.length >= written.length - 3 || got.failure());
    assert.equal(got.failure(), undefined);
    assert.deepEqual(got.events.map((e) => e.revision), written.slice(3));
    assert.equal(got.events.at(-1)!.event.type, "ADDED");
  } finally {
    controller.abort();
    await p.stop();
  }
});

test("without a revision, the stream delivers only events published after it opened", async () => {
  await h.resetStream();
  const p = await runPublisher(h);
  const controller = new AbortController();
  try {
    const before = await putConfigMap(h.client, "new", "old");
    await waitFor(() => p.publisher.lastPublishedRevision === before);
    const stream = await openEventStream(h.js, h.jsm, { filterSubjects: [resourceFilter("configmaps")], signal: controller.signal });
    const got = collect(stream);
    const r = await putConfigMap(h.client, "new", "fresh");
    await waitFor(() => got.events.length >= 1);
    assert.deepEqual(got.events.map((e) => e.revision), [r]);
  } finally {
    controller.abort();
    await p.stop();
  }
});

test("a revision older than the truncated stream is Gone; a recent one resumes", async () => {
  await h.resetStream({ maxMessages: 5 });
  const p = await runPublisher(h);
  const controller = new AbortController();
  try {
    const written: number[] = [];
    for (let i = 0; i < 12; i++) written.push(await putConfigMap(h.client, "gone", `cm-${i}`));
    await waitFor(() => p.publisher.lastPublishedRevision === written.at(-1));
    const filterSubjects = [resourceFilter("configmaps")];
    await assert.rejects(openEventStream(h.js, h.jsm, { filterSubjects, afterRevision: written[2]!, signal: controller.signal }), (error: unknown) => {
      assert.ok(error instanceof RevisionGoneError);
      assert.equal(error.code, "Gone");
      assert.equal(error.oldestResumable, written[6]);
      return true;
    });
    // The oldest message held is written[7]; its predecessor's revision is the oldest resumable point.
    await assert.rejects(openEventStream(h.js, h.jsm, { filterSubjects, afterRevision: written[6]! - 1, signal: controller.signal }), RevisionGoneError);
    const stream = await openEventStream(h.js, h.jsm, { filterSubjects, afterRevision: written[6]!, signal: controller.signal });
    const got = collect(stream);
    await waitFor(() => got.events.length >= 5);
    assert.deepEqual(got.events.map((e) => e.revision), written.slice(7));
  } finally {
    controller.abort();
    await p.stop();
  }
});

test("across a NATS restart mid-stream a consumer gets every event exactly once, in order", async () => {
  await h.resetStream();
  const p = await runPublisher(h);
  const controller = new AbortController();
  try {
    const stream = await openEventStream(h.js, h.jsm, { filterSubjects: [resourceFilter("configmaps", "restart")], signal: controller.signal });
    const got = collect(stream);
    const written: number[] = [];
    for (let i = 0; i < 20; i++) written.push(await putConfigMap(h.client, "restart", `cm-${i}`));
    await waitForMessages(h.jsm, 10);
    await h.nats.restart();
    for (let i = 20; i < 40; i++) written.push(await putConfigMap(h.client, "restart", `cm-${i}`));
    await waitFor(() => got.events.length >= written.length || got.failure(), { timeoutMs: 20_000, message: "all 40 events" });
    assert.equal(got.failure(), undefined);
    assert.deepEqual(got.events.map((e) => e.revision), written);
  } finally {
    controller.abort();
    await p.stop();
  }
});
