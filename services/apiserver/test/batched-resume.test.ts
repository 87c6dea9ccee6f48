// The resourceVersion contract at the apiserver: Get, List and the gRPC Watch of a batched revision, and a watch cut off inside it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { isGone, kindFor, registryKey, resourceVersionOf, revisionEndVersion, revisionOfResourceVersion, RV_ORDINALS, type ApiObject } from "@kubeplane/api";
import type { WatchEvent } from "@kubeplane/client";
import { encodeStoredValue } from "@kubeplane/storage";
import { etcdCredentials, waitFor } from "@kubeplane/testing";
import { Etcd3 } from "etcd3";
import { encodeForStorage } from "../src/object-codec.js";
import { minimalObject } from "./fixtures.js";
import { startTestCluster, type TestCluster } from "./harness.js";

const configMaps = kindFor("v1", "ConfigMap")!;
const namespaces = kindFor("v1", "Namespace")!;
const cm = (namespace: string, name: string): ApiObject => configMaps.codec.fromPartial({ ...minimalObject(configMaps, name), metadata: { name, namespace }, data: { v: name } });

let cluster: TestCluster;
before(async () => {
  // Bookmarks every 200 ms, so a watch shows which versions it would hand out as resume points.
  cluster = await startTestCluster({ config: { bookmarkInterval: 200 } });
  for (const ns of ["rv", "rv-other"]) await cluster.client.create(namespaces, minimalObject(namespaces, ns));
});
after(async () => {
  await cluster?.stop();
});

/** A gRPC Watch from `resourceVersion` until `enough` events (bookmarks apart) came, then dropped by the client. */
async function watchUntil(namespace: string, resourceVersion: string, enough: number, bookmarks?: WatchEvent<ApiObject>[]): Promise<WatchEvent<ApiObject>[]> {
  const controller = new AbortController();
  const events: WatchEvent<ApiObject>[] = [];
  let failure: Error | undefined;
  const done = (async () => {
    for await (const ev of cluster.client.watch(configMaps, { namespace, resourceVersion, allowBookmarks: true, signal: controller.signal })) {
      if (ev.type === "BOOKMARK") bookmarks?.push(ev);
      else events.push(ev);
    }
  })().catch((err: unknown) => (failure = err instanceof Error ? err : new Error(String(err))));
  try {
    // With `bookmarks`: also until a bookmark covers the last event.
    const covered = (): boolean => !bookmarks || bookmarks.some((b) => b.revision >= events.at(-1)!.revision);
    await waitFor(() => failure !== undefined || (events.length >= enough && covered()), { timeoutMs: 30_000, message: `${enough} events in ${namespace || "all namespaces"} after ${resourceVersion}` });
    if (failure !== undefined) throw failure;
    return events.slice(0, enough);
  } finally {
    controller.abort();
    await done;
  }
}

const seen = (e: WatchEvent<ApiObject>): string => `${e.type} ${e.object.metadata!.namespace}/${e.object.metadata!.name} @${e.revision}`;

test("a gRPC watch cut off inside a batched revision resumes from the last version it saw; Get, List and watch agree on the batch's versions", async () => {
  const { client } = cluster;
  const old = await client.create(configMaps, cm("rv", "old"));
  const start = old.metadata!.resourceVersion!;
  // One txn as group commit writes it: object ops first, values enveloped with their ordinals, a delete among them.
  const put = (namespace: string, name: string, ordinal: number) => ({
    request_put: { key: Buffer.from(registryKey(configMaps, namespace, name)), value: Buffer.from(encodeStoredValue(encodeForStorage(configMaps, cm(namespace, name)), ordinal)) },
  });
  const ops = [put("rv", "a", 0), put("rv-other", "x", 1), put("rv", "b", 2), { request_delete_range: { key: Buffer.from(registryKey(configMaps, "rv", "old")) } }, put("rv", "c", 4)];
  const etcd = new Etcd3({ credentials: etcdCredentials(), hosts: cluster.etcd.endpoints });
  const revision = Number((await etcd.kv.txn({ compare: [], success: ops, failure: [] }).finally(() => etcd.close())).header.revision);
  const rv = (ordinal: number): string => String(resourceVersionOf(revision, ordinal));

  // Get: each object of the txn at its own version.
  for (const [ns, name, ordinal] of [["rv", "a", 0], ["rv-other", "x", 1], ["rv", "b", 2], ["rv", "c", 4]] as const) {
    assert.equal((await client.get(configMaps, ns, name)).metadata!.resourceVersion, rv(ordinal), `${ns}/${name}`);
  }
  // List: R × 128 + 127, R at or after the batch (other keys may have moved etcd on since).
  const listed = await client.list(configMaps, { namespace: "rv" });
  assert.equal(Number(listed.resourceVersion) % RV_ORDINALS, RV_ORDINALS - 1);
  assert.ok(revisionOfResourceVersion(Number(listed.resourceVersion)) >= revision);
  assert.deepEqual(listed.items.map((o) => o.metadata!.resourceVersion).sort(), [rv(0), rv(2), rv(4)].sort());
  const later = await client.create(configMaps, cm("rv", "later"));

  const cases = [
    { namespace: "rv", expected: [`ADDED rv/a @${rv(0)}`, `ADDED rv/b @${rv(2)}`, `DELETED rv/old @${rv(3)}`, `ADDED rv/c @${rv(4)}`] },
    { namespace: "", expected: [`ADDED rv/a @${rv(0)}`, `ADDED rv-other/x @${rv(1)}`, `ADDED rv/b @${rv(2)}`, `DELETED rv/old @${rv(3)}`, `ADDED rv/c @${rv(4)}`] },
  ];
  for (const { namespace, expected } of cases) {
    const full = [...expected, `ADDED rv/later @${later.metadata!.resourceVersion}`];
    const bookmarks: WatchEvent<ApiObject>[] = [];
    const all = await watchUntil(namespace, start, full.length, bookmarks);
    assert.deepEqual(all.map(seen), full, `${namespace || "all namespaces"}: the batch's events in version order, the delete with its own`);
    assert.ok(bookmarks.length > 0);
    for (const b of bookmarks) assert.equal(b.revision % RV_ORDINALS, RV_ORDINALS - 1, `bookmark ${b.revision} is a revision end`);
    for (const cut of [1, 2, 3]) {
      const head = await watchUntil(namespace, start, cut);
      const last = String(head.at(-1)!.revision);
      assert.equal(revisionOfResourceVersion(Number(last)), revision, "cut inside the batched revision");
      const tail = await watchUntil(namespace, last, full.length - cut);
      assert.deepEqual([...head, ...tail].map(seen), full, `${namespace || "all namespaces"}: cut after ${cut}, no event lost or repeated`);
    }
  }

  // A version from before resourceVersions (a bare etcd revision, far below every version now) is Gone.
  await assert.rejects(watchUntil("rv", "5", 1), (err: unknown) => isGone(err));
  // A watch from the batch revision's end version starts at the next revision.
  const next = await watchUntil("rv", String(revisionEndVersion(revision)), 1);
  assert.deepEqual(next.map(seen), [`ADDED rv/later @${later.metadata!.resourceVersion}`]);
});
