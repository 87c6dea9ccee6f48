// Unit tests of group commit's batch planning, txn layout and refusal decoding (no etcd).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { IKeyValue, IResponseOp } from "etcd3";
import { KeyExistsError, RevisionMismatchError } from "./errors.js";
import { buildTxn, planBatch, refusals, type WriteOp } from "./group-commit-batch.js";
import type { StoredValue } from "./stored-value.js";
import { decodeStoredValue } from "./value-envelope.js";

const bytes = (n: number): Uint8Array => new Uint8Array(n).fill(1);
const create = (key: string, size = 10, alsoCreate: string[] = []): WriteOp => ({ type: "create", key, value: bytes(size), alsoCreate: alsoCreate.map((k) => ({ key: k, value: bytes(1) })) });
const limits = { maxTxnOps: 128, maxRequestBytes: 1 << 20 };

test("planBatch takes at most 128 txn ops, counting reservations", () => {
  const queue = Array.from({ length: 200 }, (_, i) => create(`/k/${i}`));
  assert.equal(planBatch(queue, limits).length, 128);
  const reserving = Array.from({ length: 100 }, (_, i) => create(`/k/${i}`, 10, [`/r/${i}`]));
  assert.equal(planBatch(reserving, limits).length, 64);
});

test("planBatch keeps a big write alone and lets later small ones past a write that does not fit", () => {
  const small = { maxTxnOps: 128, maxRequestBytes: 10_000 };
  assert.deepEqual(planBatch([create("/big", 50_000), create("/a")], small), [0]);
  assert.deepEqual(planBatch([create("/a"), create("/big", 50_000), create("/b")], small), [0, 2]);
});

test("planBatch never puts one key twice in a txn and keeps writes to a key in order", () => {
  const queue: WriteOp[] = [
    create("/a"),
    create("/a"),
    { type: "update", key: "/b", value: bytes(1), expectedResourceVersion: 3 * 128, alsoDelete: ["/a"] },
    create("/c", 10, ["/r"]),
    create("/d", 10, ["/r"]),
    create("/e"),
  ];
  // The second /a waits; the update touching /a waits; so does /d sharing /r with /c.
  assert.deepEqual(planBatch(queue, limits), [0, 3, 5]);
  // A write blocked behind a waiting one waits too, though its keys are free in this txn: /b's update waits behind the second /a, and a later /b behind it.
  assert.deepEqual(planBatch([create("/a"), { type: "update", key: "/b", value: bytes(1), expectedResourceVersion: 3 * 128, alsoDelete: ["/a"] }, create("/b")], limits), [0]);
});

test("planBatch sends a write repeating its own key alone, for etcd to refuse", () => {
  assert.deepEqual(planBatch([create("/a", 10, ["/a"]), create("/b")], limits), [0]);
});

test("buildTxn writes the objects first in ordinal order, each stored with its ordinal, then the reservations", () => {
  const txn = buildTxn([
    create("/o/0", 3, ["/r/0"]),
    { type: "delete", key: "/o/1", expectedResourceVersion: 7 * 128, alsoDelete: ["/r/1"] },
    { type: "update", key: "/o/2", value: bytes(4), expectedResourceVersion: 9 * 128 + 5, lease: "42" },
  ]);
  const success = txn.success!;
  assert.deepEqual(
    success.map((op) => String(op.request_put?.key ?? op.request_delete_range?.key)),
    ["/o/0", "/o/1", "/o/2", "/r/0", "/r/1"],
  );
  assert.equal(decodeStoredValue(success[0]!.request_put!.value!).ordinal, 0);
  assert.equal(success[0]!.request_put!.value!.byteLength, 3, "ordinal 0 is stored bare");
  assert.equal(decodeStoredValue(success[2]!.request_put!.value!).ordinal, 2);
  assert.equal(success[2]!.request_put!.lease, "42");
  assert.deepEqual(
    txn.compare!.map((c) => `${String(c.key)} ${c.target} ${c.create_revision ?? c.mod_revision}`),
    ["/o/0 Create 0", "/r/0 Create 0", "/o/1 Mod 7", "/o/2 Mod 9"],
  );
  assert.deepEqual(
    txn.failure!.map((op) => String(op.request_range?.key)),
    ["/o/0", "/r/0", "/o/1", "/o/2"],
  );
});

test("refusals finds exactly the writes whose guards the failure reads show broken", () => {
  const kv = (key: string, modRevision: number): IKeyValue => ({ key: Buffer.from(key), value: Buffer.from("now"), mod_revision: String(modRevision), create_revision: "1", version: "1", lease: "0" });
  const found = (...kvs: IKeyValue[]): IResponseOp => ({ response_range: { kvs, more: false, count: String(kvs.length), header: {} as never } }) as unknown as IResponseOp;
  const toStored = (k: IKeyValue): StoredValue => {
    const stored = { key: k.key.toString(), value: k.value, modRevision: Number(k.mod_revision), createRevision: Number(k.create_revision), resourceVersion: Number(k.mod_revision) * 128 };
    return stored;
  };
  const ops: WriteOp[] = [
    create("/fine", 1, ["/r/free"]),
    create("/exists"),
    create("/new", 1, ["/r/free2", "/r/taken"]),
    { type: "update", key: "/stale", value: bytes(1), expectedResourceVersion: 5 * 128 },
    { type: "update", key: "/current", value: bytes(1), expectedResourceVersion: 6 * 128 },
    { type: "delete", key: "/gone", expectedResourceVersion: 2 * 128 },
    { type: "delete", key: "/made-up", expectedResourceVersion: 6 * 128 + 3 },
  ];
  const responses = [
    ...[found(), found(), found(kv("/exists", 3)), found(), found(), found(kv("/r/taken", 4))],
    ...[found(kv("/stale", 8)), found(kv("/current", 6)), found(), found(kv("/made-up", 6))],
  ];
  const refused = refusals(ops, responses, toStored);
  assert.deepEqual([...refused.keys()], [1, 2, 3, 5, 6], "the right revision with another ordinal is a mismatch too");
  assert.ok(refused.get(1) instanceof KeyExistsError && (refused.get(1) as KeyExistsError).key === "/exists");
  assert.ok(refused.get(2) instanceof KeyExistsError && (refused.get(2) as KeyExistsError).key === "/r/taken");
  const stale = refused.get(3);
  assert.ok(stale instanceof RevisionMismatchError && stale.current?.modRevision === 8 && stale.message.includes(String(5 * 128)));
  const gone = refused.get(5);
  assert.ok(gone instanceof RevisionMismatchError && gone.current === undefined);
});

test("planBatch sends a write that may not share a txn on its own, after the batch before it", () => {
  const shareable = (op: WriteOp): boolean => op.key.startsWith("/registry/");
  const queue = [create("/registry/a"), create("/other/x"), create("/registry/b")];
  assert.deepEqual(planBatch(queue, limits, shareable), [0, 2]);
  assert.deepEqual(planBatch(queue.slice(1), limits, shareable), [0]);
});

test("planBatch holds back writes to keys of a txn in flight, and the writes queued behind them", () => {
  const queue = [create("/a"), create("/b", 10, ["/r"]), create("/c", 10, ["/r"]), create("/d")];
  assert.deepEqual(planBatch(queue, limits, undefined, new Set(["/a", "/r"])), [3]);
  assert.deepEqual(planBatch(queue.slice(0, 1), limits, undefined, new Set(["/a"])), []);
});
