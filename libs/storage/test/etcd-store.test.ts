// Integration tests of EtcdStore's reads and guarded writes against a real single-member etcd.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RV_ORDINALS, resourceVersionOf, revisionEndVersion, revisionOfResourceVersion } from "@kubeplane/api";
import { etcdStoreTls, startEtcd, type EtcdCluster } from "@kubeplane/testing";
import { CompactedError, EtcdStore, KeyExistsError, RevisionMismatchError, ServiceIpRange, encodeStoredValue, reservedKeys } from "../src/index.js";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array | undefined): string | undefined => b && new TextDecoder().decode(b);

let etcd: EtcdCluster;
let store: EtcdStore;
const observed: { operation: string; ok: boolean }[] = [];

before(async () => {
  etcd = await startEtcd({ name: "storage-store" });
  store = EtcdStore.connect({ tls: etcdStoreTls(), endpoints: etcd.endpoints, observe: (operation, _s, ok) => observed.push({ operation, ok }) });
});

after(async () => {
  store?.close();
  await etcd?.stop();
});

test("create then create conflicts with KeyExistsError and the store keeps the first value", async () => {
  const key = "/registry/core/configmaps/default/first";
  const rv = await store.create(key, text("one"));
  await assert.rejects(store.create(key, text("two")), (e: unknown) => e instanceof KeyExistsError && e.key === key && e.code === "KeyExists");
  const stored = await store.get(key);
  assert.equal(str(stored?.value), "one");
  assert.equal(stored?.resourceVersion, rv);
  assert.equal(rv % RV_ORDINALS, 0, "a single-object write is ordinal 0");
  assert.equal(stored?.modRevision, revisionOfResourceVersion(rv));
  assert.equal(stored?.createRevision, revisionOfResourceVersion(rv));
  assert.ok(observed.some((o) => o.operation === "create" && o.ok));
});

test("update with a stale revision throws RevisionMismatchError carrying the current value and changes nothing", async () => {
  const key = "/registry/core/configmaps/default/stale";
  const r1 = await store.create(key, text("v1"));
  const r2 = await store.update(key, text("v2"), r1);
  await assert.rejects(store.update(key, text("v3"), r1), (e: unknown) => {
    assert.ok(e instanceof RevisionMismatchError);
    assert.equal(e.current?.resourceVersion, r2);
    assert.equal(str(e.current?.value), "v2");
    return true;
  });
  await assert.rejects(store.delete(key, r1), RevisionMismatchError);
  assert.equal(str((await store.get(key))?.value), "v2");

  await store.delete(key, r2);
  await assert.rejects(store.update(key, text("v4"), r2), (e: unknown) => e instanceof RevisionMismatchError && e.current === undefined);
  assert.equal(await store.get(key), undefined);
});

test("50 concurrent read-modify-write updaters that retry on mismatch end with exactly 50 increments", async () => {
  const key = "/registry/core/configmaps/default/counter";
  await store.create(key, text("0"));
  const increment = async (): Promise<void> => {
    for (;;) {
      const current = (await store.get(key))!;
      try {
        await store.update(key, text(String(Number(str(current.value)) + 1)), current.resourceVersion);
        return;
      } catch (error) {
        if (!(error instanceof RevisionMismatchError)) throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: 50 }, increment));
  assert.equal(str((await store.get(key))?.value), "50");
});

test("list pages at the first page's revision stay consistent while writes happen between pages", async () => {
  const prefix = "/registry/core/secrets/paging/";
  const names = Array.from({ length: 25 }, (_, i) => `s${String(i).padStart(2, "0")}`);
  for (const name of names) await store.create(prefix + name, text(`${name}-v1`));

  const first = await store.list(prefix, { limit: 10 });
  assert.equal(first.items.length, 10);
  assert.equal(first.more, true);
  assert.equal(first.remaining, 15);

  // Writes between pages: a new key inside page 2's span, a deletion and an update in later pages.
  await store.create(`${prefix}s12a`, text("new"));
  const s15 = (await store.get(`${prefix}s15`))!;
  await store.delete(s15.key, s15.resourceVersion);
  const s22 = (await store.get(`${prefix}s22`))!;
  await store.update(s22.key, text("changed"), s22.resourceVersion);

  const second = await store.list(prefix, { limit: 10, continueFrom: first.items.at(-1)!.key, revision: first.revision });
  const third = await store.list(prefix, { limit: 10, continueFrom: second.items.at(-1)!.key, revision: first.revision });
  assert.equal(second.revision, first.revision);
  assert.equal(first.resourceVersion, revisionEndVersion(first.revision), "a list reports R × 128 + 127");
  assert.equal(third.more, false);
  const all = [...first.items, ...second.items, ...third.items];
  assert.deepEqual(
    all.map((i) => i.key.slice(prefix.length)),
    names,
  );
  assert.deepEqual(
    all.map((i) => str(i.value)),
    names.map((n) => `${n}-v1`),
  );

  const now = await store.list(prefix);
  assert.equal(now.items.length, 25);
  assert.ok(now.revision > first.revision);
});

test("two concurrent creates reserving the same Service IP: exactly one wins, the loser creates nothing", async () => {
  const range = new ServiceIpRange("10.96.0.0/12");
  const ipKey = range.keyFor("10.96.0.10");
  const results = await Promise.allSettled(
    ["a", "b"].map((name) => store.create(`/registry/core/services/default/${name}`, text(name), { alsoCreate: [{ key: ipKey, value: text(name) }] })),
  );
  const won = results.filter((r) => r.status === "fulfilled");
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  assert.equal(won.length, 1);
  assert.equal(lost.length, 1);
  assert.ok(lost[0]!.reason instanceof KeyExistsError);
  assert.equal(lost[0]!.reason.key, ipKey);
  const winner = str((await store.get(ipKey))?.value)!;
  const loser = winner === "a" ? "b" : "a";
  assert.equal(await store.get(`/registry/core/services/default/${loser}`), undefined);
  assert.deepEqual(await reservedKeys(store, range.prefix), new Set(["10.96.0.10"]));

  // Deleting the Service releases its reservation in the same txn.
  const svc = (await store.get(`/registry/core/services/default/${winner}`))!;
  await store.delete(svc.key, svc.resourceVersion, { alsoDelete: [ipKey] });
  assert.deepEqual(await reservedKeys(store, range.prefix), new Set());
});

test("update reports an existing alsoCreate key as KeyExistsError and applies nothing", async () => {
  const key = "/registry/core/services/default/upd";
  const taken = "/kubeplane/ranges/nodeports/30080";
  await store.create(taken, text("other"));
  const rev = await store.create(key, text("v1"));
  await assert.rejects(store.update(key, text("v2"), rev, { alsoCreate: [{ key: taken, value: text("me") }] }), (e: unknown) => e instanceof KeyExistsError && e.key === taken);
  assert.equal(str((await store.get(key))?.value), "v1");
});

test("a compacted revision throws CompactedError from list and watchChanges", async () => {
  const key = "/registry/core/configmaps/compact/c";
  const r1 = revisionOfResourceVersion(await store.create(key, text("v1")));
  const r2 = revisionOfResourceVersion(await store.update(key, text("v2"), resourceVersionOf(r1)));
  await store.compact(r2);
  await assert.rejects(store.list("/registry/core/configmaps/compact/", { revision: r1 }), (e: unknown) => e instanceof CompactedError && e.code === "Compacted");
  const abort = new AbortController();
  await assert.rejects(async () => {
    for await (const _ of store.watchChanges(r1, abort.signal)) break;
  }, CompactedError);
  abort.abort();
  assert.equal((await store.list("/registry/core/configmaps/compact/", { revision: r2 })).items.length, 1);
});

test("a value written at ordinal 5 of a txn reads as its payload at revision × 128 + 5; update and delete compare the whole resourceVersion", async () => {
  const prefix = "/registry/core/configmaps/envelope/";
  // A batch as group commit writes it: object ops first, in ordinal order, each value enveloped with its ordinal.
  const ops = Array.from({ length: 6 }, (_, i) => ({ request_put: { key: Buffer.from(`${prefix}o${i}`), value: Buffer.from(encodeStoredValue(text(`v${i}`), i)) } }));
  const res = await store.etcdClient.kv.txn({ compare: [], success: ops, failure: [] });
  const revision = Number(res.header.revision);
  const fifth = (await store.get(`${prefix}o5`))!;
  assert.equal(str(fifth.value), "v5", "the envelope is removed");
  assert.equal(fifth.resourceVersion, resourceVersionOf(revision, 5));
  const listed = await store.list(prefix);
  assert.deepEqual(listed.items.map((i) => i.resourceVersion), [0, 1, 2, 3, 4, 5].map((o) => resourceVersionOf(revision, o)));
  // The right revision with another ordinal is not this object's version.
  await assert.rejects(store.update(fifth.key, text("x"), resourceVersionOf(revision, 4), { alsoCreate: [{ key: `${prefix}o0`, value: text("taken") }] }), RevisionMismatchError);
  await assert.rejects(store.update(fifth.key, text("x"), resourceVersionOf(revision - 1, 5)), RevisionMismatchError);
  const rv = await store.update(fifth.key, text("v5b"), fifth.resourceVersion);
  assert.equal((await store.get(fifth.key))?.resourceVersion, rv);
  assert.equal(str((await store.get(fifth.key))?.value), "v5b");
  await store.delete(`${prefix}o3`, resourceVersionOf(revision, 3));
  assert.equal(await store.get(`${prefix}o3`), undefined);
});
