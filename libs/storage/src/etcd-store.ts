// The apiserver's etcd store: keys and bytes, resourceVersion = mod_revision × 128 + ordinal, txns that never overwrite blindly.
import { REGISTRY_PREFIX, resourceVersionOf, revisionEndVersion, revisionOfResourceVersion } from "@kubeplane/api";
import { noop } from "cockatiel";
import { Etcd3, type IKeyValue, type IRequestOp, type IResponseOp, type ICompare } from "etcd3";
import { KeyExistsError, RevisionMismatchError } from "./errors.js";
import type { Change, KeyValue, StoredValue } from "./stored-value.js";

export type { KeyValue } from "./stored-value.js";
import { etcdRetryPolicy, withoutResend } from "./retry-policy.js";
import { GroupCommitter } from "./group-commit.js";
import type { WriteOp } from "./group-commit-batch.js";
import { translateError } from "./translate-error.js";
import { decodeStoredValue } from "./value-envelope.js";
import { watchRangeResponses } from "./watch-stream.js";

/** Client certificates for an etcd with TLS (PEM bytes). */
export interface EtcdTls {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** Options of `EtcdStore.connect`. */
export interface EtcdStoreOptions {
  /** Client URLs, e.g. `http://127.0.0.1:2379`; requests go to any of them. */
  endpoints: string[];
  /** How long to wait for a connection to a member. Default 3000. */
  dialTimeoutMs?: number;
  /** Deadline of each unary request, after which it fails with StoreUnavailableError. Default 10000. */
  requestTimeoutMs?: number;
  /** A watch that cannot reconnect for this long fails with StoreUnavailableError. Default 30000. */
  watchReconnectTimeoutMs?: number;
  tls?: EtcdTls;
  /**
   * Called once per unary request with its operation ("get", "list", "create", "update", "delete",
   * "currentRevision", "compact", "grantLease", "compactRevision"), its duration and whether etcd answered: a lost race (KeyExists,
   * RevisionMismatch) is `ok`, an outage or a rejected request is not. Must not throw.
   */
  observe?: (operation: string, seconds: number, ok: boolean) => void;
  /**
   * Commits concurrent create/update/delete calls together in shared etcd txns (group-commit.ts):
   * each write keeps its own resourceVersion (revision × 128 + its ordinal in the txn) and a write
   * whose guard fails is refused alone. Default true; false sends one txn per write.
   */
  groupCommit?: boolean;
  /** Group-commit txns in flight at once (docs/decisions.md: 1 measured best). Default 1. */
  groupCommitMaxInFlight?: number;
  /** Called once per group-commit txn with the writes in it, its duration and whether etcd answered. Must not throw. */
  observeGroupCommit?: (writes: number, seconds: number, ok: boolean) => void;
}

/** Options of `EtcdStore.list`. */
export interface ListOptions {
  /** Page size; 0 or absent: everything. */
  limit?: number;
  /** The last key of the previous page; this page starts after it. */
  continueFrom?: string;
  /** Read at this revision (the first page's `revision`, passed back for later pages); absent: now. */
  revision?: number;
}

/** One page of `EtcdStore.list`. */
export interface ListPage {
  /** Keys in ascending byte order. */
  items: StoredValue[];
  /** The etcd revision the page was read at (pass it back for the next page). */
  revision: number;
  /** The list's resourceVersion: `revisionEndVersion(revision)`, everything committed at `revision` included. */
  resourceVersion: number;
  /** True when keys after the last item exist at `revision`. */
  more: boolean;
  /** How many keys follow this page at `revision`, when more is true. */
  remaining?: number;
}

const DEFAULT_DIAL_TIMEOUT_MS = 3_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_WATCH_RECONNECT_TIMEOUT_MS = 30_000;

/**
 * The registry store of ARCHITECTURE §3 over one etcd client. Every write is one txn guarded by
 * create_revision == 0 (create) or mod_revision == ⌊expected resourceVersion / 128⌋ (update,
 * delete): a lost race throws, it never overwrites. Values are read through the stored-value
 * envelope (value-envelope.ts): `StoredValue.value` is the payload and `resourceVersion` is
 * mod_revision × 128 + the stored ordinal. With `groupCommit` (the default) concurrent writes
 * share txns, each stored with its ordinal (its position among the txn's objects), and a write
 * whose guard fails is refused alone; without it each write is a txn of its own at ordinal 0.
 * Methods may be called concurrently. Used only by the apiserver.
 *
 * Errors: KeyExistsError, RevisionMismatchError, CompactedError as documented per method;
 * StoreUnavailableError when etcd is unreachable or leaderless; StoreRequestError otherwise.
 * A write that fails with StoreUnavailableError may still have been applied.
 */
export class EtcdStore {
  readonly #client: Etcd3;
  readonly #observe: EtcdStoreOptions["observe"];
  readonly #watchReconnectTimeoutMs: number;
  readonly #committer: GroupCommitter | undefined;

  private constructor(client: Etcd3, opts: EtcdStoreOptions) {
    this.#client = client;
    this.#observe = opts.observe;
    this.#committer =
      opts.groupCommit === false ? undefined : new GroupCommitter(client.kv, { maxInFlight: opts.groupCommitMaxInFlight, observe: opts.observeGroupCommit, sharedPrefix: REGISTRY_PREFIX, toStored });
    this.#watchReconnectTimeoutMs = opts.watchReconnectTimeoutMs ?? DEFAULT_WATCH_RECONNECT_TIMEOUT_MS;
  }

  /** Creates a client; connections are made lazily, so this never fails for an unreachable etcd. */
  static connect(opts: EtcdStoreOptions): EtcdStore {
    if (opts.endpoints.length === 0) throw new RangeError("EtcdStore.connect: no endpoints");
    const requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const client = new Etcd3({
      hosts: opts.endpoints,
      dialTimeout: opts.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS,
      ...(opts.tls ? { credentials: { rootCertificate: opts.tls.ca, privateKey: opts.tls.key, certChain: opts.tls.cert } } : {}),
      // Streams (watch, lease keep-alive) live long; only unary calls get a deadline.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + requestTimeoutMs }),
      // etcd3's default per-member circuit breaker (open for 5 s after 3 recoverable errors in a row) sends calls to
      // the other members; with one member there is nowhere to send them, and a few deadlines under CPU load would
      // fail every call for 5 s. One member: no breaker (calls still time out and retry on their own).
      // Reads are resent after a recoverable error, writes are not (see withoutResend).
      faultHandling: { global: etcdRetryPolicy(), ...(opts.endpoints.length === 1 ? { host: () => noop } : {}) },
    });
    return new EtcdStore(client, opts);
  }

  /** The underlying etcd3 client, for this package's leader election; not for other callers. */
  get etcdClient(): Etcd3 {
    return this.#client;
  }

  /**
   * Closes the client. Abort watches and leader elections first: grpc-js lets calls already in
   * flight (a watch stream, a lease keep-alive) run on after their channel is closed.
   */
  close(): void {
    this.#client.close();
  }

  /** The key's value and revisions, or undefined when absent. Linearizable. */
  get(key: string): Promise<StoredValue | undefined> {
    return this.#call("get", async () => {
      const res = await this.#client.kv.range({ key: Buffer.from(key) });
      return res.kvs[0] && toStored(res.kvs[0]);
    });
  }

  /**
   * One page of the keys under `prefix`, read at one revision. The first page reads now and returns
   * that revision; pass it back with `continueFrom` = the last key so every page shows the same
   * snapshot. Throws CompactedError when `revision` has been compacted.
   */
  list(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
    return this.#call(
      "list",
      async () => {
        const start = opts.continueFrom === undefined ? Buffer.from(prefix) : Buffer.concat([Buffer.from(opts.continueFrom), Buffer.from([0])]);
        const res = await this.#client.kv.range({
          key: start,
          range_end: prefixEnd(Buffer.from(prefix)),
          limit: opts.limit ?? 0,
          revision: opts.revision ?? 0,
        });
        const items = res.kvs.map(toStored);
        const revision = opts.revision ?? Number(res.header.revision);
        const page: ListPage = { items, revision, resourceVersion: revisionEndVersion(revision), more: res.more };
        if (res.more) page.remaining = Number(res.count) - items.length;
        return page;
      },
      opts.revision,
    );
  }

  /**
   * Creates `key` and every `alsoCreate` key in one txn, only if all are absent; returns the new
   * object's resourceVersion (the txn's revision × 128 + the object's ordinal in it). With `lease` (from `grantLease`), `key` is deleted
   * when the lease expires. Throws KeyExistsError naming the first existing key.
   */
  create(key: string, value: Uint8Array, opts: { alsoCreate?: KeyValue[]; lease?: string } = {}): Promise<number> {
    if (this.#committer) return this.#commit("create", { type: "create", key, value, ...opts });
    return this.#call("create", async () => {
      const created = [{ key, value }, ...(opts.alsoCreate ?? [])];
      const res = await this.#client.kv.txn({
        compare: created.map((kv) => absent(kv.key)),
        success: [put({ key, value }, opts.lease), ...(opts.alsoCreate ?? []).map((kv) => put(kv))],
        failure: created.map((kv) => read(kv.key)),
      });
      if (res.succeeded) return resourceVersionOf(Number(res.header.revision));
      throw new KeyExistsError(firstExisting(created, res.responses));
    });
  }

  /**
   * Replaces `key`'s value if it is still at `expectedResourceVersion` (its mod_revision is
   * ⌊expectedResourceVersion / 128⌋: etcd writes a key at most once per revision, so that names one
   * version), creating `alsoCreate` keys (which must be absent) and deleting `alsoDelete` keys in the
   * same txn; returns the new resourceVersion. A put without `lease` detaches the key from any lease it had (etcd's rule), so a
   * leased object must be given its lease on every update. Throws RevisionMismatchError (with the current value, or undefined if the key is gone)
   * or KeyExistsError for an existing alsoCreate key.
   */
  update(key: string, value: Uint8Array, expectedResourceVersion: number, opts: { alsoCreate?: KeyValue[]; alsoDelete?: string[]; lease?: string } = {}): Promise<number> {
    if (this.#committer) return this.#commit("update", { type: "update", key, value, expectedResourceVersion, ...opts });
    return this.#call("update", async () => {
      const alsoCreate = opts.alsoCreate ?? [];
      const res = await this.#client.kv.txn({
        compare: [modRevisionIs(key, revisionOfResourceVersion(expectedResourceVersion)), ...alsoCreate.map((kv) => absent(kv.key))],
        success: [put({ key, value }, opts.lease), ...alsoCreate.map((kv) => put(kv)), ...(opts.alsoDelete ?? []).map(remove)],
        failure: [read(key), ...alsoCreate.map((kv) => read(kv.key))],
      });
      if (res.succeeded) return resourceVersionOf(Number(res.header.revision));
      const current = res.responses[0] && storedValueOf(res.responses[0].response_range.kvs[0]);
      // Also a mismatch: the right revision with another ordinal (a resourceVersion no write of this key had).
      if (!current || current.resourceVersion !== expectedResourceVersion) throw new RevisionMismatchError(key, expectedResourceVersion, current);
      throw new KeyExistsError(firstExisting(alsoCreate, res.responses.slice(1)));
    });
  }

  /**
   * Deletes `key` if it is still at `expectedResourceVersion` (as `update` compares), with the
   * `alsoDelete` keys (a Service's reservations) in the same txn; returns the deletion's
   * resourceVersion (the txn's revision × 128 + the deletion's ordinal in it). Throws RevisionMismatchError as
   * `update` does.
   */
  delete(key: string, expectedResourceVersion: number, opts: { alsoDelete?: string[] } = {}): Promise<number> {
    if (this.#committer) return this.#commit("delete", { type: "delete", key, expectedResourceVersion, ...opts });
    return this.#call("delete", async () => {
      const res = await this.#client.kv.txn({
        compare: [modRevisionIs(key, revisionOfResourceVersion(expectedResourceVersion))],
        success: [remove(key), ...(opts.alsoDelete ?? []).map(remove)],
        failure: [read(key)],
      });
      if (res.succeeded) return resourceVersionOf(Number(res.header.revision));
      const current = res.responses[0] && storedValueOf(res.responses[0].response_range.kvs[0]);
      throw new RevisionMismatchError(key, expectedResourceVersion, current);
    });
  }

  /** etcd's current revision (linearizable). */
  currentRevision(): Promise<number> {
    return this.#call("currentRevision", async () => {
      const res = await this.#client.kv.range({ key: Buffer.from(REGISTRY_PREFIX), count_only: true });
      return Number(res.header.revision);
    });
  }

  /** The etcd version of the member answering (Maintenance.Status), e.g. "3.4.23". */
  serverVersion(): Promise<string> {
    return this.#call("serverVersion", async () => {
      const res = await this.#client.maintenance.status();
      return res.version;
    });
  }

  /**
   * Grants an etcd lease of `ttlSeconds` (never kept alive: keys attached with `create`/`update`
   * are deleted when it expires) and returns its ID.
   */
  grantLease(ttlSeconds: number): Promise<string> {
    return this.#call("grantLease", async () => (await this.#client.leaseClient.leaseGrant({ TTL: ttlSeconds })).ID);
  }

  /**
   * One compare-and-swap on a compaction bookkeeping key (Kubernetes' `compact_rev_key`): if the
   * key's version is still `expectedVersion`, writes `revision` into it. Returns whether it did,
   * the key's version afterwards, and etcd's revision after the txn. Lets many apiservers agree
   * that exactly one of them compacts per interval.
   */
  casCompactRevision(key: string, expectedVersion: number, revision: number): Promise<{ succeeded: boolean; version: number; revision: number }> {
    return this.#call("compactRevision", async () => {
      const k = Buffer.from(key);
      const res = await this.#client.kv.txn({
        compare: [{ key: k, target: "Version", result: "Equal", version: expectedVersion }],
        success: [{ request_put: { key: k, value: Buffer.from(String(revision)) } }],
        failure: [{ request_range: { key: k } }],
      });
      const current = Number(res.header.revision);
      if (res.succeeded) return { succeeded: true, version: expectedVersion + 1, revision: current };
      return { succeeded: false, version: Number(res.responses[0]?.response_range.kvs[0]?.version ?? 0), revision: current };
    });
  }

  /** Discards history before `revision`; later reads or watches below it throw CompactedError. */
  compact(revision: number): Promise<void> {
    return this.#call(
      "compact",
      async () => {
        await this.#client.kv.compact({ revision, physical: true });
      },
      revision,
    );
  }

  /**
   * Every change under `prefix` (default `/registry/`) from etcd revision `fromRevision` inclusive,
   * strictly in revision order (a txn's changes in txn order), none skipped or repeated, across etcd
   * member failures and leader changes. Each change's `resourceVersion` is its revision × 128 + its
   * position among the revision's changes under `prefix` (so a batch's deletes get versions too),
   * and `revisionEnd` marks the revision's last change; values are payloads (envelope removed). Ends when `signal` aborts. Throws CompactedError if a revision
   * still to be delivered has been compacted; StoreUnavailableError if no member can be reached
   * for `watchReconnectTimeoutMs`. One consumer per call.
   */
  async *watchChanges(fromRevision: number, signal: AbortSignal, prefix: string = REGISTRY_PREFIX): AsyncGenerator<Change> {
    const key = Buffer.from(prefix);
    const responses = watchRangeResponses(
      this.#client,
      { key, rangeEnd: prefixEnd(key), startRevision: fromRevision, prevKv: true, reconnectTimeoutMs: this.#watchReconnectTimeoutMs },
      signal,
    );
    // etcd never splits a revision across responses, so positions count from each revision's first event.
    for await (const events of responses) {
      let position = 0;
      for (let i = 0; i < events.length; i++) {
        const { kv, prev_kv: prev } = events[i]!;
        const revision = Number(kv.mod_revision);
        if (i > 0 && Number(events[i - 1]!.kv.mod_revision) !== revision) position = 0;
        const change: Change = {
          type: events[i]!.type === "Delete" ? "delete" : "put",
          key: kv.key.toString(),
          revision,
          resourceVersion: resourceVersionOf(revision, Math.min(position++, RV_LAST_ORDINAL)),
          revisionEnd: i === events.length - 1 || Number(events[i + 1]!.kv.mod_revision) !== revision,
          created: events[i]!.type === "Put" && kv.create_revision === kv.mod_revision,
        };
        if (events[i]!.type === "Put") change.value = decodeStoredValue(kv.value).payload;
        if (prev) change.prevValue = decodeStoredValue(prev.value).payload;
        yield change;
      }
    }
  }

  /** One write through the group committer; its resourceVersion is its txn's revision × 128 + its ordinal. */
  #commit(operation: string, op: WriteOp): Promise<number> {
    return this.#call(operation, async () => {
      const { revision, ordinal } = await this.#committer!.submit(op);
      return resourceVersionOf(revision, ordinal);
    });
  }

  async #call<T>(operation: string, fn: () => Promise<T>, revision = 0): Promise<T> {
    const started = performance.now();
    let ok = false;
    try {
      const result = await (WRITES.has(operation) ? withoutResend(fn) : fn());
      ok = true;
      return result;
    } catch (error) {
      ok = error instanceof KeyExistsError || error instanceof RevisionMismatchError;
      throw translateError(operation, error, revision);
    } finally {
      this.#observe?.(operation, (performance.now() - started) / 1000, ok);
    }
  }
}

/** The operations whose txn must not be resent after an ambiguous failure (a resent compare-and-swap would report its own success as a mismatch). */
const WRITES = new Set(["create", "update", "delete", "compactRevision"]);

/** Past 128 changes in one revision (a lease revoking more keys than LeaseManager attaches) the versions would collide; they stay ordered. */
const RV_LAST_ORDINAL = 127;

function toStored(kv: IKeyValue): StoredValue {
  const { payload, ordinal } = decodeStoredValue(kv.value);
  const modRevision = Number(kv.mod_revision);
  return { key: kv.key.toString(), value: payload, modRevision, createRevision: Number(kv.create_revision), resourceVersion: resourceVersionOf(modRevision, ordinal) };
}

/** A key-value read by etcd (a txn's failure branch included) as the store reports it, envelope removed; undefined for none. */
export function storedValueOf(kv: IKeyValue | undefined): StoredValue | undefined {
  return kv && toStored(kv);
}

/** The first key past every key starting with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // all 0xff: to the end of the keyspace
}

function absent(key: string): ICompare {
  return { key: Buffer.from(key), target: "Create", result: "Equal", create_revision: 0 };
}

function modRevisionIs(key: string, revision: number): ICompare {
  return { key: Buffer.from(key), target: "Mod", result: "Equal", mod_revision: revision };
}

function put(kv: KeyValue, lease?: string): IRequestOp {
  return { request_put: { key: Buffer.from(kv.key), value: Buffer.from(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength), ...(lease ? { lease } : {}) } };
}

function remove(key: string): IRequestOp {
  return { request_delete_range: { key: Buffer.from(key) } };
}

function read(key: string): IRequestOp {
  return { request_range: { key: Buffer.from(key) } };
}

function firstExisting(kvs: KeyValue[], responses: IResponseOp[]): string {
  const i = responses.findIndex((r) => r.response_range.kvs.length > 0);
  // The failure branch reads at the txn's revision, so some key is found; the fallback only satisfies the types.
  return (kvs[i] ?? kvs[0]!).key;
}
