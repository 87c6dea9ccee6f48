// Integration tests of WatchPublisher against real etcd and NATS JetStream.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { waitFor } from "@kubeplane/testing";
import { objectSubject, podsByNodeSubject } from "../src/index.js";
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
