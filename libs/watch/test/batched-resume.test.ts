// The resourceVersion contract over NATS: a watcher cut off inside a batched revision resumes exactly, filtered or not.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { kindForResource, registryKey, resourceVersionOf, revisionEndVersion, revisionOfResourceVersion } from "@kubeplane/api";
import { encodeStoredValue } from "@kubeplane/storage";
import { waitFor } from "@kubeplane/testing";
import { headers } from "nats";
import { ALL_SUBJECTS, FORMAT_HEADER, GAP_TYPE, KP_WATCH, PREV_REVISION_HEADER, REVISION_HEADER, ResyncRequiredError, TYPE_HEADER, objectSubject, openEventStream, resourceFilter, type StreamedEvent } from "../src/index.js";
import { collect, putConfigMap, readStream, runPublisher, startHarness, type Harness, type RunningPublisher } from "./fixtures/harness.js";

const configMaps = kindForResource("", "configmaps")!;
const cmBytes = (namespace: string, name: string): Buffer =>
  Buffer.from(configMaps.codec.encode(configMaps.codec.fromPartial({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace, name }, data: { k: name } })).finish());

let h: Harness;
let p: RunningPublisher;
before(async () => {
  h = await startHarness();
  await h.resetStream();
  p = await runPublisher(h);
});
after(async () => {
  await p?.stop();
  await h?.stop();
});

/** What a watcher sees of an event: its version, subject and type. */
const seen = (e: StreamedEvent): [number, string, string] => [e.revision, e.subject, e.event.type];

/** Reads events from `after` until `until` says stop (then closes the stream, as a dropped watcher). */
async function watchUntil(filter: string, after: number, until: (events: StreamedEvent[]) => boolean): Promise<StreamedEvent[]> {
  const controller = new AbortController();
  const stream = await openEventStream(h.js, h.jsm, { filterSubjects: [filter], afterRevision: after, signal: controller.signal });
  const got = collect(stream);
  try {
    await waitFor(() => until(got.events) || got.failure() !== undefined, { timeoutMs: 20_000, message: `events on ${filter} after ${after}` });
    assert.equal(got.failure(), undefined);
    return [...got.events];
  } finally {
    controller.abort();
    await stream.close();
  }
}

test("a watcher cut off in the middle of a batched revision resumes from the last version it saw with no event lost or repeated", async () => {
  const before = await putConfigMap(h.client, "batch", "old");
  // One txn as group commit writes it: object ops first in ordinal order (values enveloped with
  // their ordinal), another namespace's objects among them, a delete, then a reservation key.
  const ops = [
    { request_put: { key: Buffer.from(registryKey(configMaps, "batch", "a")), value: Buffer.from(encodeStoredValue(cmBytes("batch", "a"), 0)) } },
    { request_put: { key: Buffer.from(registryKey(configMaps, "other", "x")), value: Buffer.from(encodeStoredValue(cmBytes("other", "x"), 1)) } },
    { request_put: { key: Buffer.from(registryKey(configMaps, "batch", "b")), value: Buffer.from(encodeStoredValue(cmBytes("batch", "b"), 2)) } },
    { request_put: { key: Buffer.from(registryKey(configMaps, "batch", "c")), value: Buffer.from(encodeStoredValue(cmBytes("batch", "c"), 3)) } },
    { request_delete_range: { key: Buffer.from(registryKey(configMaps, "batch", "old")) } },
    { request_put: { key: Buffer.from(registryKey(configMaps, "other", "y")), value: Buffer.from(encodeStoredValue(cmBytes("other", "y"), 5)) } },
    { request_put: { key: Buffer.from("/kubeplane/ranges/nodeports/30100"), value: Buffer.from("reservation") } },
  ];
  const revision = Number((await h.client.kv.txn({ compare: [], success: ops, failure: [] })).header.revision);
  const next = await putConfigMap(h.client, "batch", "after");
  await waitFor(() => p.publisher.lastPublishedRevision === next, { message: "the batch and the write after it published" });

  // Get reports each object's version as its watch event does.
  const rv = (o: number): number => resourceVersionOf(revision, o);
  for (const [ns, name, ordinal] of [["batch", "a", 0], ["other", "x", 1], ["batch", "b", 2], ["batch", "c", 3], ["other", "y", 5]] as const) {
    assert.equal((await h.source.get(registryKey(configMaps, ns, name)))?.resourceVersion, rv(ordinal), `${ns}/${name}`);
  }

  const cases = [
    { filter: ALL_SUBJECTS, expected: [rv(0), rv(1), rv(2), rv(3), rv(4), rv(5), next] },
    { filter: resourceFilter("configmaps", "batch"), expected: [rv(0), rv(2), rv(3), rv(4), next] },
  ];
  for (const { filter, expected } of cases) {
    const all = await watchUntil(filter, before, (events) => events.length >= expected.length);
    assert.deepEqual(all.map((e) => e.revision), expected, `${filter}: every event once, in version order`);
    assert.equal(all.find((e) => e.revision === rv(4))?.event.type, "DELETED", "the batch's delete has its own version");
    // The batch's last change under /registry/ is other/y, whichever subjects a watcher sees.
    assert.deepEqual(all.map((e) => e.revisionEnd), expected.map((v) => v === rv(5) || v === next), `${filter}: only a revision's last change is marked as its end`);
    // Cut off after the first, second or third event (inside the batch), then resume from the last version seen.
    for (const cut of [1, 2, 3]) {
      const head = await watchUntil(filter, before, (events) => events.length >= cut);
      const last = head[cut - 1]!.revision;
      assert.equal(revisionOfResourceVersion(last), revision, "cut inside the batched revision");
      const tail = await watchUntil(filter, last, (events) => events.length >= expected.length - cut);
      assert.deepEqual([...head.slice(0, cut), ...tail].map(seen), all.map(seen), `${filter}: cut after ${cut}, no loss and no repeat`);
    }
  }

  // A list's version includes the whole revision; a watch from it starts at the next revision.
  const listed = await h.source.list(registryKey(configMaps, "batch", ""));
  assert.equal(listed.resourceVersion, revisionEndVersion(listed.revision));
  const from = await watchUntil(ALL_SUBJECTS, revisionEndVersion(revision), (events) => events.length >= 1);
  assert.deepEqual(from.map((e) => e.revision), [next]);
});

test("a stream of the format before resourceVersions (bare etcd revisions) is resynced by its readers and purged by the next publisher", async () => {
  await p.stop();
  // What an apiserver of the previous version published: Kp-Revision = the etcd revision, no Kp-Format.
  const revision = revisionOfResourceVersion(await putConfigMap(h.client, "upgrade", "old"));
  const reader = collect(await openEventStream(h.js, h.jsm, { filterSubjects: [resourceFilter("configmaps", "upgrade")], signal: new AbortController().signal }));
  const hdrs = headers();
  hdrs.set(REVISION_HEADER, String(revision));
  hdrs.set(PREV_REVISION_HEADER, String(revision - 1));
  hdrs.set(TYPE_HEADER, "MODIFIED");
  await h.js.publish(objectSubject("configmaps", "upgrade", "old"), new Uint8Array(), { headers: hdrs, msgID: `${revision}:old-format` });
  await waitFor(() => reader.failure() !== undefined, { message: "the reader gives the old-format message up" });
  assert.ok(reader.failure() instanceof ResyncRequiredError, String(reader.failure()));

  const { state } = await h.jsm.streams.info(KP_WATCH);
  p = await runPublisher(h);
  const after = await putConfigMap(h.client, "upgrade", "new");
  await waitFor(() => p.publisher.lastPublishedRevision === after, { message: "the write after the upgrade published" });
  const held = await readStream(h.jsm);
  assert.ok(held[0]!.seq > state.last_seq, "the old messages were purged");
  assert.deepEqual(held.map((m) => [m.type, m.revision]), [[GAP_TYPE, held[0]!.revision], ["ADDED", after]]);
  assert.ok((await h.jsm.streams.getMessage(KP_WATCH, { seq: held[1]!.seq })).header.get(FORMAT_HEADER), "new messages carry the format");
  // A reader asking to resume from a pre-upgrade version (a bare revision) is told Gone, so it relists.
  await assert.rejects(openEventStream(h.js, h.jsm, { filterSubjects: [resourceFilter("configmaps", "upgrade")], afterRevision: revision, signal: new AbortController().signal }), /gone/i);
});
