// Integration tests of EtcdStore.watchChanges: order, prevValue, resume, and a leader kill in a 3-member cluster.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { resourceVersionOf, revisionOfResourceVersion } from "@kubeplane/api";
import { etcdStoreTls, startEtcd, waitFor, type EtcdCluster } from "@kubeplane/testing";
import { EtcdStore, KeyExistsError, StoreUnavailableError, encodeStoredValue, type Change } from "../src/index.js";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array | undefined): string | undefined => b && new TextDecoder().decode(b);

/** Consumes a watch in the background into `changes` until aborted. */
function collect(store: EtcdStore, from: number): { changes: Change[]; stop: () => Promise<void> } {
  const abort = new AbortController();
  const changes: Change[] = [];
  const done = (async () => {
    for await (const change of store.watchChanges(from, abort.signal)) changes.push(change);
  })();
  return {
    changes,
    stop: async () => {
      abort.abort();
      await done;
    },
  };
}

describe("single member", () => {
  let etcd: EtcdCluster;
  let store: EtcdStore;
  before(async () => {
    etcd = await startEtcd({ name: "storage-watch" });
    store = EtcdStore.connect({ tls: etcdStoreTls(), endpoints: etcd.endpoints });
  });
  after(async () => {
    store?.close();
    await etcd?.stop();
  });

  test("watchChanges delivers puts and deletes in revision order with prevValue, and resuming replays the gap", async () => {
    const key = "/registry/core/configmaps/default/w";
    const from = (await store.currentRevision()) + 1;
    const watch = collect(store, from);
    const r1 = await store.create(key, text("v1"));
    await store.create("/kubeplane/ranges/nodeports/30001", text("outside the prefix"));
    const r2 = await store.update(key, text("v2"), r1);
    const r3 = await store.create(`${key}2`, text("other"));
    const r4 = await store.delete(key, r2, { alsoDelete: [`${key}2`] });

    await waitFor(() => watch.changes.length >= 5, { message: "five changes" });
    await watch.stop();
    const rev = revisionOfResourceVersion;
    assert.deepEqual(
      watch.changes.map((c) => [c.type, c.key, c.revision, c.resourceVersion, c.revisionEnd, c.created, str(c.value), str(c.prevValue)]),
      [
        ["put", key, rev(r1), r1, true, true, "v1", undefined],
        ["put", key, rev(r2), r2, true, false, "v2", "v1"],
        ["put", `${key}2`, rev(r3), r3, true, true, "other", undefined],
        // One txn deleting two objects: each delete gets its own version, by its position in the txn.
        ["delete", key, rev(r4), r4, false, false, undefined, "v2"],
        ["delete", `${key}2`, rev(r4), r4 + 1, true, false, undefined, "other"],
      ],
    );

    // A consumer that stopped after r2 resumes from its revision + 1 and gets exactly the rest.
    const resumed = collect(store, rev(r2) + 1);
    await waitFor(() => resumed.changes.length >= 3, { message: "the replayed gap" });
    await resumed.stop();
    assert.deepEqual(resumed.changes, watch.changes.slice(2));
  });

  test("in a hand-made batch txn (object ops first, values enveloped with their ordinals) each put's watch version is its stored version", async () => {
    const prefix = "/registry/core/configmaps/batch/";
    await store.create(`${prefix}gone`, text("old"));
    const from = (await store.currentRevision()) + 1;
    const watch = collect(store, from);
    const puts = ["a", "b", "c"].map((name, i) => ({ request_put: { key: Buffer.from(prefix + name), value: Buffer.from(encodeStoredValue(text(`v-${name}`), i)) } }));
    const res = await store.etcdClient.kv.txn({
      compare: [],
      success: [...puts, { request_delete_range: { key: Buffer.from(`${prefix}gone`) } }, { request_put: { key: Buffer.from("/kubeplane/ranges/nodeports/30002"), value: Buffer.from("reservation, outside the prefix") } }],
      failure: [],
    });
    const revision = Number(res.header.revision);
    await waitFor(() => watch.changes.length >= 4, { message: "the batch's four changes" });
    await watch.stop();
    assert.deepEqual(
      watch.changes.map((c) => [c.type, c.key.slice(prefix.length), c.resourceVersion, c.revisionEnd, str(c.value)]),
      [
        ["put", "a", resourceVersionOf(revision, 0), false, "v-a"],
        ["put", "b", resourceVersionOf(revision, 1), false, "v-b"],
        ["put", "c", resourceVersionOf(revision, 2), false, "v-c"],
        ["delete", "gone", resourceVersionOf(revision, 3), true, undefined],
      ],
    );
    for (const change of watch.changes.filter((c) => c.type === "put")) {
      assert.equal((await store.get(change.key))?.resourceVersion, change.resourceVersion, `${change.key}: Get and watch agree`);
    }
  });

  test("watchChanges ends cleanly when its signal aborts while waiting", async () => {
    const abort = new AbortController();
    const iterator = store.watchChanges((await store.currentRevision()) + 1, abort.signal)[Symbol.asyncIterator]();
    const next = iterator.next();
    abort.abort();
    assert.deepEqual(await next, { done: true, value: undefined });
  });
});

describe("three members", () => {
  let etcd: EtcdCluster;
  let writer: EtcdStore;
  const watchers: EtcdStore[] = [];
  before(async () => {
    etcd = await startEtcd({ name: "storage-watch3", members: 3 });
    writer = EtcdStore.connect({ tls: etcdStoreTls(), endpoints: etcd.endpoints });
  });
  after(async () => {
    writer?.close();
    for (const w of watchers) w.close();
    await etcd?.stop();
  });

  test("watchChanges loses and duplicates nothing while the leader member is killed", async () => {
    const leader = await etcd.leader();
    // One watcher talks only to the leader, so its stream must break and resume after the restart;
    // another may fail over to any member.
    const pinned = EtcdStore.connect({ tls: etcdStoreTls(), endpoints: [leader.clientUrl] });
    const any = EtcdStore.connect({ tls: etcdStoreTls(), endpoints: etcd.endpoints });
    watchers.push(pinned, any);
    const from = (await writer.currentRevision()) + 1;
    const watches = [collect(pinned, from), collect(any, from)];

    const total = 60;
    const keys = Array.from({ length: total }, (_, i) => `/registry/core/configmaps/failover/k${String(i).padStart(3, "0")}`);
    const createOnce = async (key: string): Promise<void> => {
      for (;;) {
        try {
          await writer.create(key, text(key));
          return;
        } catch (error) {
          if (error instanceof KeyExistsError) return; // an earlier attempt landed before its answer was lost
          if (!(error instanceof StoreUnavailableError)) throw error;
        }
      }
    };
    for (const key of keys.slice(0, 20)) await createOnce(key);
    await leader.kill("SIGKILL");
    for (const key of keys.slice(20, 40)) await createOnce(key);
    await leader.restart();
    for (const key of keys.slice(40)) await createOnce(key);

    for (const [i, watch] of watches.entries()) {
      await waitFor(() => watch.changes.length >= total, { timeoutMs: 20_000, message: `watcher ${i} to see ${total} changes` });
      await watch.stop();
      assert.deepEqual(
        watch.changes.map((c) => c.key),
        keys,
        `watcher ${i} saw every key once, in order`,
      );
      const revisions = watch.changes.map((c) => c.revision);
      assert.ok(
        revisions.every((r, j) => j === 0 || r > revisions[j - 1]!),
        `watcher ${i}: revisions strictly increase`,
      );
    }
  });
});
