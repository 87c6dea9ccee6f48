// Group commit for the etcd store: concurrent guarded writes share one etcd txn, each keeping its own ordinal, and a conflicting write fails alone.
import { EtcdLeaseInvalidError, GRPCInvalidArgumentError, type IKeyValue, type ITxnRequest, type ITxnResponse } from "etcd3";
import { StoreRequestError } from "./errors.js";
import { DEFAULT_BATCH_LIMITS, buildTxn, keysOf, planBatch, refusals, type BatchLimits, type WriteOp } from "./group-commit-batch.js";
import { withoutResend } from "./retry-policy.js";
import type { StoredValue } from "./stored-value.js";
import { translateError } from "./translate-error.js";

/** What the committer needs of etcd: the KV service's Txn (`Etcd3.kv` implements it). */
export interface TxnClient {
  txn(request: ITxnRequest): Promise<ITxnResponse>;
}

/** Where a committed write landed: its txn's etcd revision and its position among the txn's object writes (0…127). */
export interface CommitResult {
  revision: number;
  ordinal: number;
}

/** Options of `GroupCommitter`. */
export interface GroupCommitterOptions {
  /**
   * Txns in flight at once. A write is sent at once while fewer are in flight (so a lone write
   * waits for nothing); otherwise it queues, and when a txn returns everything queued (up to
   * `limits`) goes in one txn. Default 1.
   */
  maxInFlight?: number;
  /**
   * A txn in flight longer than this no longer holds its slot, so one call stuck on an unreachable
   * etcd member (until its deadline) does not hold every other write back: the next batch goes,
   * likely to another member. Default 500.
   */
  stallMs?: number;
  /** Bounds of one txn; default etcd's 128 ops and 1 MiB (under etcd's 1.5 MiB request limit). */
  limits?: Partial<BatchLimits>;
  /**
   * Only writes of keys under this prefix share txns; others get one of their own. A watch of the
   * prefix numbers a revision's changes by position, so a shared txn must hold nothing but the
   * prefix's objects ahead of their reservations. Default "" (every key).
   */
  sharedPrefix?: string;
  /**
   * Called once per txn sent with the writes in it, its duration and whether etcd answered (a
   * failed guard is an answer). Must not throw.
   */
  observe?: (writes: number, seconds: number, ok: boolean) => void;
  /** Turns a key read by a failed txn into the StoredValue a RevisionMismatchError carries. */
  toStored: (kv: IKeyValue) => StoredValue;
}

interface Pending {
  op: WriteOp;
  resolve: (result: CommitResult) => void;
  reject: (error: Error) => void;
}

/**
 * Commits guarded writes (create if absent, update or delete at an expected mod_revision) in
 * shared etcd txns: classic group commit. Every write resolves with its txn's revision and its
 * ordinal, or rejects with what a txn of its own would have thrown: KeyExistsError,
 * RevisionMismatchError, or the translated etcd error. A write whose guard fails is refused alone
 * and the rest of its txn is sent again (new revision, new ordinals). A txn whose outcome is
 * unknown (etcd unreachable mid-call) is never resent: all its writes fail with
 * StoreUnavailableError. Writes sharing a key never share a txn, and a write waits while a txn
 * holding one of its keys is in flight, so writes to a key reach etcd in submission order.
 * `submit` may be called concurrently from anywhere.
 */
export class GroupCommitter {
  readonly #client: TxnClient;
  readonly #maxInFlight: number;
  readonly #limits: BatchLimits;
  readonly #observe: GroupCommitterOptions["observe"];
  readonly #toStored: (kv: IKeyValue) => StoredValue;
  readonly #shareable: (op: WriteOp) => boolean;
  readonly #stallMs: number;
  #queue: Pending[] = [];
  /** Txns holding a slot (sent, not returned, not stalled). */
  #inFlight = 0;
  /** Keys of every txn sent and not returned, stalled ones included. */
  readonly #busy = new Set<string>();

  constructor(client: TxnClient, opts: GroupCommitterOptions) {
    const maxInFlight = opts.maxInFlight ?? 1;
    const limits = { ...DEFAULT_BATCH_LIMITS, ...opts.limits };
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError(`GroupCommitter: maxInFlight ${maxInFlight} is not a positive integer`);
    if (!Number.isInteger(limits.maxTxnOps) || limits.maxTxnOps < 1 || limits.maxTxnOps > 128) throw new RangeError(`GroupCommitter: maxTxnOps ${limits.maxTxnOps} outside 1…128`);
    this.#client = client;
    this.#maxInFlight = maxInFlight;
    this.#limits = limits;
    this.#observe = opts.observe;
    this.#toStored = opts.toStored;
    const prefix = opts.sharedPrefix ?? "";
    this.#shareable = (op) => op.key.startsWith(prefix);
    this.#stallMs = opts.stallMs ?? 500;
  }

  /** Commits `op` with whatever else is waiting; see the class comment for what it resolves and throws. */
  submit(op: WriteOp): Promise<CommitResult> {
    return new Promise<CommitResult>((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      this.#pump();
    });
  }

  /** Writes queued and not yet sent (for tests and metrics). */
  get queued(): number {
    return this.#queue.length;
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const taken = planBatch(
        this.#queue.map((p) => p.op),
        this.#limits,
        this.#shareable,
        this.#busy,
      );
      if (taken.length === 0) return; // every queued write waits for a key in flight
      const batch = taken.map((i) => this.#queue[i]!);
      if (taken.length === this.#queue.length) {
        this.#queue = [];
      } else {
        const sent = new Set(taken);
        this.#queue = this.#queue.filter((_, i) => !sent.has(i));
      }
      this.#send(batch);
    }
  }

  #send(batch: Pending[]): void {
    const keys = batch.flatMap((p) => keysOf(p.op));
    for (const key of keys) this.#busy.add(key);
    this.#inFlight++;
    let holdsSlot = true;
    const stall = setTimeout(() => {
      holdsSlot = false;
      this.#inFlight--;
      this.#pump();
    }, this.#stallMs);
    stall.unref();
    void this.#commit(batch).then((settle) => {
      clearTimeout(stall);
      for (const key of keys) this.#busy.delete(key);
      if (holdsSlot) this.#inFlight--;
      // The queued writes go before the callers hear back, so a caller's next write joins the txn after them.
      this.#pump();
      settle();
    });
  }

  /**
   * Sends `batch` until every write in it is committed or refused. Refused writes are rejected at
   * once; the returned function settles the rest. Never rejects.
   */
  async #commit(batch: Pending[]): Promise<() => void> {
    let pending = batch;
    try {
      while (pending.length > 0) {
        const ops = pending.map((p) => p.op);
        const started = performance.now();
        let response: ITxnResponse;
        try {
          response = await withoutResend(() => this.#client.txn(buildTxn(ops)));
        } catch (error) {
          this.#observe?.(ops.length, (performance.now() - started) / 1000, false);
          if (pending.length > 1 && refusedBeforeApplying(error)) {
            // Nothing was written: one bad write (say, on an expired lease) must not fail the others, so each goes on its own.
            const settles = await Promise.all(pending.map((p) => this.#commit([p])));
            return () => settles.forEach((settle) => settle());
          }
          const failed = pending;
          return () => failed.forEach((p) => p.reject(translateError(p.op.type, error)));
        }
        this.#observe?.(ops.length, (performance.now() - started) / 1000, true);
        if (response.succeeded) {
          const revision = Number(response.header.revision);
          const committed = pending;
          return () => committed.forEach((p, ordinal) => p.resolve({ revision, ordinal }));
        }
        const refused = refusals(ops, response.responses, this.#toStored);
        // Cannot happen while buildTxn and refusals agree; without the guard the loop would not end.
        if (refused.size === 0) throw new StoreRequestError("etcd txn: failed with every guard holding");
        for (const [i, error] of refused) pending[i]!.reject(error);
        pending = pending.filter((_, i) => !refused.has(i));
      }
      return () => {};
    } catch (error) {
      const failed = pending;
      return () => failed.forEach((p) => p.reject(translateError(p.op.type, error)));
    }
  }
}

/** etcd refused the whole request before applying it (bad argument, too large, duplicate key, unknown lease): safe to send again. */
function refusedBeforeApplying(error: unknown): boolean {
  return error instanceof GRPCInvalidArgumentError || error instanceof EtcdLeaseInvalidError;
}
