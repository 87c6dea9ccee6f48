// The pure half of group commit: which queued writes fit one etcd txn, that txn's request, and which writes its failure refuses.
import { ordinalOfResourceVersion, revisionOfResourceVersion } from "@kubeplane/api";
import type { ICompare, IKeyValue, IRequestOp, IResponseOp, ITxnRequest } from "etcd3";
import { KeyExistsError, RevisionMismatchError } from "./errors.js";
import type { KeyValue, StoredValue } from "./stored-value.js";
import { decodeStoredValue, encodeStoredValue } from "./value-envelope.js";

/** Creates `key` only if it and every `alsoCreate` key are absent; with `lease`, `key` expires with it. */
export interface CreateOp {
  type: "create";
  key: string;
  value: Uint8Array;
  alsoCreate?: readonly KeyValue[];
  lease?: string;
}

/**
 * Replaces `key` if it is still at `expectedResourceVersion` (etcd compares its mod_revision with
 * ⌊expectedResourceVersion / 128⌋), creating `alsoCreate` (absent) and deleting `alsoDelete`.
 */
export interface UpdateOp {
  type: "update";
  key: string;
  value: Uint8Array;
  expectedResourceVersion: number;
  alsoCreate?: readonly KeyValue[];
  alsoDelete?: readonly string[];
  lease?: string;
}

/** Deletes `key` if it is still at `expectedResourceVersion` (compared as UpdateOp does), with the `alsoDelete` keys. */
export interface DeleteOp {
  type: "delete";
  key: string;
  expectedResourceVersion: number;
  alsoDelete?: readonly string[];
}

/** One guarded object write: the unit a group commit batches. */
export type WriteOp = CreateOp | UpdateOp | DeleteOp;

/** Bounds of one txn. */
export interface BatchLimits {
  /** Most ops in each of compare, success and failure (etcd's `--max-txn-ops`, default 128). */
  maxTxnOps: number;
  /** Most estimated request bytes (etcd refuses requests over `--max-request-bytes`, default 1.5 MiB). */
  maxRequestBytes: number;
}

/** etcd's defaults with a margin on the bytes: a 1 MiB batch stays well under 1.5 MiB. */
export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxTxnOps: 128, maxRequestBytes: 1 << 20 };

/** Per-op protobuf framing (tags, lengths, compare target and revision), generously rounded up. */
const OP_OVERHEAD_BYTES = 24;

/** Every key `op` writes or compares; no two ops of one txn may share one (etcd refuses duplicate keys). */
export function keysOf(op: WriteOp): string[] {
  const keys = [op.key];
  if (op.type !== "delete") for (const kv of op.alsoCreate ?? []) keys.push(kv.key);
  if (op.type !== "create") keys.push(...(op.alsoDelete ?? []));
  return keys;
}

/** How many entries `op` adds to the txn's compare list (= failure list) and success list. */
export function txnOpsOf(op: WriteOp): { compares: number; successes: number } {
  const reservations = op.type === "delete" ? 0 : (op.alsoCreate?.length ?? 0);
  const deletes = op.type === "create" ? 0 : (op.alsoDelete?.length ?? 0);
  return { compares: 1 + reservations, successes: 1 + reservations + deletes };
}

/** An upper estimate of the bytes `op` adds to a txn request: each compared key thrice (compare, put, failure read), values once. */
export function requestBytesOf(op: WriteOp): number {
  let bytes = 3 * (Buffer.byteLength(op.key) + OP_OVERHEAD_BYTES) + (op.type === "delete" ? 0 : op.value.byteLength + 2);
  if (op.type !== "delete") for (const kv of op.alsoCreate ?? []) bytes += 3 * (Buffer.byteLength(kv.key) + OP_OVERHEAD_BYTES) + kv.value.byteLength;
  if (op.type !== "create") for (const key of op.alsoDelete ?? []) bytes += Buffer.byteLength(key) + OP_OVERHEAD_BYTES;
  return bytes;
}

/**
 * Picks, in queue order, the ops of the next txn: as many as fit `limits`, no key twice. The first
 * op always goes (alone if it is too big). An op that does not fit stays queued, and so does every
 * later op sharing a key with it, so writes to one key keep their order. An op `shareable` rejects
 * goes in a txn of its own. An op touching a `busy` key (one of a txn in flight) waits, as do later
 * ops sharing a key with it; when every op waits, nothing is taken. Returns the indexes taken.
 */
export function planBatch(queue: readonly WriteOp[], limits: BatchLimits, shareable: (op: WriteOp) => boolean = () => true, busy: ReadonlySet<string> = new Set()): number[] {
  const taken: number[] = [];
  const blocked = new Set<string>(busy);
  let successes = 0;
  let bytes = 0;
  for (let i = 0; i < queue.length && successes < limits.maxTxnOps; i++) {
    const op = queue[i]!;
    const keys = keysOf(op);
    const size = txnOpsOf(op);
    const opBytes = requestBytesOf(op);
    const unique = new Set(keys).size === keys.length;
    if (keys.some((k) => blocked.has(k))) {
      for (const k of keys) blocked.add(k);
      continue;
    }
    if (taken.length === 0) {
      taken.push(i);
      // An op repeating one of its own keys is etcd's to refuse, alone.
      if (!unique || !shareable(op)) break;
    } else if (unique && shareable(op) && successes + size.successes <= limits.maxTxnOps && bytes + opBytes <= limits.maxRequestBytes) {
      taken.push(i);
    } else {
      for (const k of keys) blocked.add(k);
      continue;
    }
    successes += size.successes;
    bytes += opBytes;
    for (const k of keys) blocked.add(k);
  }
  return taken;
}

/**
 * The txn writing `ops` together. Compares: every op's guard. Success: the object writes first, op
 * i's value stored at ordinal i (its resourceVersion's ordinal), then the reservations' puts and
 * deletes. Failure: a read of every compared key, in compare order (values only where an error
 * needs them), for `refusals`.
 */
export function buildTxn(ops: readonly WriteOp[]): ITxnRequest {
  if (ops.length > 128) throw new RangeError(`buildTxn: ${ops.length} object writes, ordinals run 0…127`);
  const compare: ICompare[] = [];
  const objects: IRequestOp[] = [];
  const reservations: IRequestOp[] = [];
  const failure: IRequestOp[] = [];
  for (const [ordinal, op] of ops.entries()) {
    switch (op.type) {
      case "create":
        compare.push(absent(op.key));
        failure.push(read(op.key, true));
        objects.push(put(op.key, encodeStoredValue(op.value, ordinal), op.lease));
        break;
      case "update":
        compare.push(modRevisionIs(op.key, revisionOfResourceVersion(op.expectedResourceVersion)));
        failure.push(read(op.key, false));
        objects.push(put(op.key, encodeStoredValue(op.value, ordinal), op.lease));
        break;
      case "delete":
        compare.push(modRevisionIs(op.key, revisionOfResourceVersion(op.expectedResourceVersion)));
        failure.push(read(op.key, false));
        objects.push(remove(op.key));
        break;
    }
    if (op.type !== "delete") {
      for (const kv of op.alsoCreate ?? []) {
        compare.push(absent(kv.key));
        failure.push(read(kv.key, true));
        reservations.push(put(kv.key, kv.value));
      }
    }
    if (op.type !== "create") for (const key of op.alsoDelete ?? []) reservations.push(remove(key));
  }
  return { compare, success: [...objects, ...reservations], failure };
}

/**
 * After `buildTxn(ops)` failed: the error of each op whose guard the failure reads show broken, by
 * op index (the others' guards held and they may be sent again). KeyExistsError names the first
 * existing key in request order; RevisionMismatchError carries what the key holds. `toStored` turns
 * a read key into the store's StoredValue.
 */
export function refusals(ops: readonly WriteOp[], responses: readonly IResponseOp[], toStored: (kv: IKeyValue) => StoredValue): Map<number, Error> {
  const refused = new Map<number, Error>();
  let next = 0;
  const found = (): IKeyValue | undefined => responses[next++]?.response_range.kvs[0];
  for (const [i, op] of ops.entries()) {
    const main = found();
    const reserved = op.type === "delete" ? [] : (op.alsoCreate ?? []).map((kv) => ({ key: kv.key, existing: found() }));
    if (op.type === "create") {
      const existing = main ? op.key : reserved.find((r) => r.existing)?.key;
      if (existing !== undefined) refused.set(i, new KeyExistsError(existing));
      continue;
    }
    if (!main || !isAt(main, op.expectedResourceVersion)) {
      refused.set(i, new RevisionMismatchError(op.key, op.expectedResourceVersion, main && toStored(main)));
      continue;
    }
    const existing = reserved.find((r) => r.existing)?.key;
    if (existing !== undefined) refused.set(i, new KeyExistsError(existing));
  }
  return refused;
}

/** Whether `kv` is the version `resourceVersion` names; the right revision with another ordinal is a version this key never had. */
function isAt(kv: IKeyValue, resourceVersion: number): boolean {
  return Number(kv.mod_revision) === revisionOfResourceVersion(resourceVersion) && decodeStoredValue(kv.value).ordinal === ordinalOfResourceVersion(resourceVersion);
}

function absent(key: string): ICompare {
  return { key: Buffer.from(key), target: "Create", result: "Equal", create_revision: 0 };
}

function modRevisionIs(key: string, revision: number): ICompare {
  return { key: Buffer.from(key), target: "Mod", result: "Equal", mod_revision: revision };
}

function put(key: string, value: Uint8Array, lease?: string): IRequestOp {
  return { request_put: { key: Buffer.from(key), value: Buffer.from(value.buffer, value.byteOffset, value.byteLength), ...(lease ? { lease } : {}) } };
}

function remove(key: string): IRequestOp {
  return { request_delete_range: { key: Buffer.from(key) } };
}

function read(key: string, keysOnly: boolean): IRequestOp {
  return { request_range: { key: Buffer.from(key), ...(keysOnly ? { keys_only: true } : {}) } };
}
