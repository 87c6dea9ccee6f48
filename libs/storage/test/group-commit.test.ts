// Integration tests of GroupCommitter against a real single-member etcd: batching, ordinals, and conflicts that fail alone.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { resourceVersionOf } from "@kubeplane/api";
import type { IKeyValue } from "etcd3";
import { etcdStoreTls, freePort, startEtcd, type EtcdCluster } from "@kubeplane/testing";
import { EtcdStore, KeyExistsError, RevisionMismatchError, StoreRequestError, StoreUnavailableError, decodeStoredValue, type StoredValue } from "../src/index.js";
import { GroupCommitter, type CommitResult, type GroupCommitterOptions } from "../src/group-commit.js";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array | undefined): string | undefined => b && new TextDecoder().decode(b);
const toStored = (kv: IKeyValue): StoredValue => {
  const { payload, ordinal } = decodeStoredValue(kv.value);
  const stored = { key: kv.key.toString(), value: payload, modRevision: Number(kv.mod_revision), createRevision: Number(kv.create_revision), resourceVersion: resourceVersionOf(Number(kv.mod_revision), ordinal) };
  return stored;
};
const rv = (r: CommitResult): number => resourceVersionOf(r.revision, r.ordinal);

let etcd: EtcdCluster;
let store: EtcdStore;

before(async () => {
  etcd = await startEtcd({ name: "storage-group-commit" });
  store = EtcdStore.connect({ tls: etcdStoreTls(), endpoints: etcd.endpoints });
});

after(async () => {
  store?.close();
  await etcd?.stop();
});

/** A committer over the test etcd that records every txn it sends. */
function committer(opts: Partial<GroupCommitterOptions> = {}): { gc: GroupCommitter; txns: { writes: number; ok: boolean }[] } {
  const txns: { writes: number; ok: boolean }[] = [];
  const gc = new GroupCommitter(store.etcdClient.kv, { toStored, observe: (writes, _s, ok) => txns.push({ writes, ok }), ...opts });
  return { gc, txns };
}

/** The raw bytes and mod_revision etcd holds for `key`. */
async function raw(key: string): Promise<{ value: Buffer; modRevision: number } | undefined> {
  const kv = (await store.etcdClient.kv.range({ key: Buffer.from(key) })).kvs[0];
  return kv && { value: kv.value, modRevision: Number(kv.mod_revision) };
}

/** The payload stored under `key` (envelope removed), as text. */
async function valueOf(key: string): Promise<string | undefined> {
  const stored = await raw(key);
  return stored && str(decodeStoredValue(stored.value).payload);
}

test("a lone write under no load is sent at once, alone, at ordinal 0 with its bytes stored bare", async () => {
  const { gc, txns } = committer();
  const key = "/registry/core/configmaps/gc/lone";
  const result = await gc.submit({ type: "create", key, value: text("lone") });
  assert.equal(result.ordinal, 0);
  assert.deepEqual(txns, [{ writes: 1, ok: true }]);
  const stored = await raw(key);
  assert.equal(stored?.modRevision, result.revision);
  assert.equal(str(stored?.value), "lone");
});

test("300 concurrent creates share a few txns of at most 128, with dense ordinals each stored with its value", async () => {
  const { gc, txns } = committer();
  const keys = Array.from({ length: 300 }, (_, i) => `/registry/core/configmaps/gc-many/cm-${i}`);
  const results = await Promise.all(keys.map((key) => gc.submit({ type: "create", key, value: text(`value of ${key}`) })));

  const byRevision = new Map<number, number[]>();
  for (const r of results) byRevision.set(r.revision, [...(byRevision.get(r.revision) ?? []), r.ordinal]);
  assert.equal(byRevision.size, txns.length, "one revision per txn sent");
  assert.ok(byRevision.size <= 5, `300 creates took ${byRevision.size} txns`);
  assert.ok(txns.every((t) => t.ok && t.writes <= 128));
  for (const [revision, ordinals] of byRevision) {
    assert.deepEqual(
      ordinals.sort((a, b) => a - b),
      ordinals.map((_, i) => i),
      `revision ${revision}: ordinals 0…${ordinals.length - 1}`,
    );
  }
  for (const [i, key] of keys.entries()) {
    const stored = (await raw(key))!;
    assert.equal(stored.modRevision, results[i]!.revision);
    const { payload, ordinal } = decodeStoredValue(stored.value);
    assert.equal(ordinal, results[i]!.ordinal);
    assert.equal(str(payload), `value of ${key}`);
  }
});

test("in one batch a stale update and a create of an existing key fail alone while their neighbours commit", async () => {
  const { gc, txns } = committer();
  const ns = "/registry/core/configmaps/gc-conflict/";
  const setUp = await Promise.all([
    gc.submit({ type: "create", key: `${ns}existing`, value: text("first") }),
    gc.submit({ type: "create", key: `${ns}stale`, value: text("v1") }),
    gc.submit({ type: "create", key: `${ns}fresh`, value: text("v1") }),
    gc.submit({ type: "create", key: `${ns}doomed`, value: text("bye") }),
    gc.submit({ type: "create", key: "/registry/reservations/taken", value: text("x") }),
  ]);
  const [staleRv, freshRv, doomedRv] = [rv(setUp[1]!), rv(setUp[2]!), rv(setUp[3]!)];
  const current = await gc.submit({ type: "update", key: `${ns}stale`, value: text("v2"), expectedResourceVersion: staleRv });
  txns.length = 0;

  // The blocker is in flight alone; the seven writes submitted meanwhile queue and go as one txn when it returns.
  const blocker = gc.submit({ type: "create", key: `${ns}blocker`, value: text("b") });
  const settled = Promise.allSettled([
    gc.submit({ type: "create", key: `${ns}new-a`, value: text("a") }),
    gc.submit({ type: "update", key: `${ns}stale`, value: text("v3"), expectedResourceVersion: staleRv }),
    gc.submit({ type: "create", key: `${ns}existing`, value: text("second") }),
    gc.submit({ type: "update", key: `${ns}fresh`, value: text("v2"), expectedResourceVersion: freshRv }),
    gc.submit({ type: "delete", key: `${ns}doomed`, expectedResourceVersion: doomedRv }),
    gc.submit({ type: "create", key: `${ns}with-ip`, value: text("svc"), alsoCreate: [{ key: "/registry/reservations/ip-10", value: text(`${ns}with-ip`) }] }),
    gc.submit({ type: "create", key: `${ns}ip-taken`, value: text("svc"), alsoCreate: [{ key: "/registry/reservations/taken", value: text("y") }] }),
  ]);
  await blocker;
  const [newA, stale, dup, freshUpdate, deletion, withIp, ipTaken] = await settled;

  assert.equal(stale?.status, "rejected");
  const mismatch = (stale as PromiseRejectedResult).reason as unknown;
  assert.ok(mismatch instanceof RevisionMismatchError, String(mismatch));
  assert.equal(mismatch.current?.modRevision, current.revision);
  assert.equal(str(mismatch.current?.value), "v2");
  assert.equal(mismatch.key, `${ns}stale`);
  assert.equal(dup?.status, "rejected");
  const exists = (dup as PromiseRejectedResult).reason as unknown;
  assert.ok(exists instanceof KeyExistsError && exists.key === `${ns}existing`, String(exists));
  assert.equal(ipTaken?.status, "rejected");
  const reserved = (ipTaken as PromiseRejectedResult).reason as unknown;
  assert.ok(reserved instanceof KeyExistsError && reserved.key === "/registry/reservations/taken", String(reserved));

  const committed = [newA, freshUpdate, deletion, withIp].map((s) => {
    assert.equal(s?.status, "fulfilled", s?.status === "rejected" ? String(s.reason) : "");
    return (s as PromiseFulfilledResult<CommitResult>).value;
  });
  assert.equal(new Set(committed.map((c) => c.revision)).size, 1, "the four neighbours share the resent txn");
  assert.deepEqual(
    committed.map((c) => c.ordinal),
    [0, 1, 2, 3],
  );
  assert.deepEqual(
    txns.map((t) => t.writes),
    [1, 7, 4],
    "blocker alone, the batch of seven refused, the four neighbours resent",
  );

  assert.equal(await valueOf(`${ns}stale`), "v2");
  assert.equal(await valueOf(`${ns}existing`), "first");
  assert.equal(await valueOf("/registry/reservations/taken"), "x");
  assert.equal(await raw(`${ns}ip-taken`), undefined);
  assert.equal(await raw(`${ns}doomed`), undefined);
  assert.equal(await valueOf(`${ns}fresh`), "v2");
  assert.equal((await raw(`${ns}fresh`))?.modRevision, committed[1]!.revision);
  assert.equal(await valueOf("/registry/reservations/ip-10"), `${ns}with-ip`);
});

test("writes sharing a key never share a txn and keep their order; the later create finds the earlier one", async () => {
  const { gc, txns } = committer();
  const ns = "/registry/core/configmaps/gc-dup/";
  const blocker = gc.submit({ type: "create", key: `${ns}blocker`, value: text("b") });
  const settled = Promise.allSettled([
    gc.submit({ type: "create", key: `${ns}k`, value: text("one") }),
    gc.submit({ type: "create", key: `${ns}k`, value: text("two") }),
    gc.submit({ type: "create", key: `${ns}svc-1`, value: text("s1"), alsoCreate: [{ key: `${ns}port-30000`, value: text("s1") }] }),
    gc.submit({ type: "create", key: `${ns}svc-2`, value: text("s2"), alsoCreate: [{ key: `${ns}port-30000`, value: text("s2") }] }),
    gc.submit({ type: "create", key: `${ns}other`, value: text("o") }),
  ]);
  await blocker;
  const [one, two, svc1, svc2, other] = await settled;
  assert.equal(one?.status, "fulfilled");
  assert.equal(svc1?.status, "fulfilled");
  assert.equal(other?.status, "fulfilled");
  assert.ok(two?.status === "rejected" && two.reason instanceof KeyExistsError && two.reason.key === `${ns}k`);
  assert.ok(svc2?.status === "rejected" && svc2.reason instanceof KeyExistsError && svc2.reason.key === `${ns}port-30000`);
  assert.deepEqual(
    txns.map((t) => t.writes),
    [1, 3, 2],
    "blocker; one, svc-1 and other; then two and svc-2, each refused",
  );
  assert.equal(await valueOf(`${ns}k`), "one");
  assert.equal(await valueOf(`${ns}port-30000`), "s1");
});

test("a write etcd refuses outright (an unknown lease) fails alone: its batch is sent again one write at a time", async () => {
  const { gc, txns } = committer();
  const ns = "/registry/core/events/gc-lease/";
  const blocker = gc.submit({ type: "create", key: `${ns}blocker`, value: text("b") });
  const settled = Promise.allSettled([
    gc.submit({ type: "create", key: `${ns}good-1`, value: text("g1") }),
    gc.submit({ type: "create", key: `${ns}bad`, value: text("x"), lease: "1234567" }),
    gc.submit({ type: "create", key: `${ns}good-2`, value: text("g2") }),
  ]);
  await blocker;
  const [good1, bad, good2] = await settled;
  assert.equal(good1?.status, "fulfilled");
  assert.equal(good2?.status, "fulfilled");
  assert.ok(bad?.status === "rejected" && bad.reason instanceof StoreRequestError, bad?.status === "rejected" ? String(bad.reason) : "fulfilled");
  assert.deepEqual(
    txns.slice(0, 2).map((t) => [t.writes, t.ok]),
    [
      [1, true],
      [3, false],
    ],
    "blocker, then the batch etcd refused",
  );
  assert.deepEqual(
    txns
      .slice(2)
      .map((t) => `${t.writes}:${t.ok}`)
      .sort(),
    ["1:false", "1:true", "1:true"],
    "each write of the refused batch sent alone",
  );
  assert.equal(await raw(`${ns}bad`), undefined);
});

test("a txn stuck in flight (an unreachable member) holds back only writes to its keys once it has stalled", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let first = true;
  const kv = store.etcdClient.kv;
  // The first txn waits at the gate before it reaches etcd, as a call to a cut member waits for its deadline.
  const client = {
    txn: async (request: Parameters<typeof kv.txn>[0]) => {
      if (first) {
        first = false;
        await gate;
      }
      return kv.txn(request);
    },
  };
  const gc = new GroupCommitter(client, { toStored, stallMs: 100 });
  const ns = "/registry/core/configmaps/gc-stall/";
  const stuck = gc.submit({ type: "create", key: `${ns}stuck`, value: text("1") });
  const sameKey = gc.submit({ type: "create", key: `${ns}stuck`, value: text("2") });
  const other = await gc.submit({ type: "create", key: `${ns}other`, value: text("o") });
  assert.equal(await valueOf(`${ns}other`), "o");
  assert.equal(await raw(`${ns}stuck`), undefined, "the stuck txn has not reached etcd");
  assert.equal(gc.queued, 1, "the write to the stuck key still waits");
  release();
  const committed = await stuck;
  assert.ok(committed.revision > other.revision);
  await assert.rejects(sameKey, (e: unknown) => e instanceof KeyExistsError, "the later create of the key went after the stuck one");
  assert.equal(await valueOf(`${ns}stuck`), "1");
});

test("an unreachable etcd fails every write of the txn with StoreUnavailableError and sends nothing twice", async () => {
  const port = await freePort();
  const down = EtcdStore.connect({ tls: etcdStoreTls(), endpoints: [`https://127.0.0.1:${port}`], dialTimeoutMs: 300, requestTimeoutMs: 2000 });
  try {
    const txns: boolean[] = [];
    const gc = new GroupCommitter(down.etcdClient.kv, { toStored, observe: (_w, _s, ok) => txns.push(ok) });
    const results = await Promise.allSettled([1, 2, 3].map((i) => gc.submit({ type: "create", key: `/registry/x/${i}`, value: text("x") })));
    for (const r of results) assert.ok(r.status === "rejected" && r.reason instanceof StoreUnavailableError, r.status === "rejected" ? String(r.reason) : "fulfilled");
    assert.deepEqual(txns, [false, false], "the first write alone, then the other two together, each sent once");
  } finally {
    down.close();
  }
});

test("EtcdStore commits concurrent writes together: each returned resourceVersion is the one get and the watch report", async () => {
  const ns = "/registry/core/configmaps/gc-store/";
  const [a, b] = await Promise.all([store.create(`${ns}a`, text("a1")), store.create(`${ns}b`, text("b1"))]);
  const start = Math.floor(Math.min(a, b) / 128);
  const written = await Promise.all([
    store.create(`${ns}c`, text("c1"), { alsoCreate: [{ key: "/kubeplane/ranges/gc-store/c", value: text("c") }] }),
    store.update(`${ns}a`, text("a2"), a),
    store.delete(`${ns}b`, b),
    store.create(`${ns}d`, text("d1")),
    store.create(`${ns}e`, text("e1")),
  ]);
  const all = [a, b, ...written];
  assert.equal(new Set(all).size, all.length, "every write has its own resourceVersion");
  assert.ok(new Set(all.map((rv) => Math.floor(rv / 128))).size < all.length, "some writes shared a txn");
  assert.equal((await store.get(`${ns}a`))?.resourceVersion, written[1]);
  assert.equal((await store.get(`${ns}d`))?.resourceVersion, written[3]);

  const stop = new AbortController();
  const seen = new Map<string, number>();
  for await (const change of store.watchChanges(start, stop.signal, ns)) {
    seen.set(`${change.type} ${change.key.slice(ns.length)} ${str(change.value) ?? ""}`, change.resourceVersion);
    if (seen.size === all.length) stop.abort();
  }
  assert.deepEqual(Object.fromEntries(seen), {
    "put a a1": a,
    "put b b1": b,
    "put c c1": written[0],
    "put a a2": written[1],
    "delete b ": written[2],
    "put d d1": written[3],
    "put e e1": written[4],
  });
});

test("EtcdStore with groupCommit false sends one txn per write, each at ordinal 0", async () => {
  const single = EtcdStore.connect({ tls: etcdStoreTls(), endpoints: etcd.endpoints, groupCommit: false });
  try {
    const rvs = await Promise.all(Array.from({ length: 5 }, (_, i) => single.create(`/registry/core/configmaps/gc-single/${i}`, text("x"))));
    assert.equal(new Set(rvs.map((rv) => Math.floor(rv / 128))).size, 5);
    assert.ok(rvs.every((rv) => rv % 128 === 0));
  } finally {
    single.close();
  }
});
