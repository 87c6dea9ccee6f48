// Leader election on an etcd key bound to a lease: one leader at a time, stepping down before its lease can expire.
import { setTimeout as sleep } from "node:timers/promises";
import { EtcdLeaseInvalidError, type Lease } from "etcd3";
import type { EtcdStore } from "./etcd-store.js";
import { isCompacted } from "./errors.js";
import { isUnavailable } from "./translate-error.js";
import { watchRange } from "./watch-stream.js";

/** Options of `LeaderElection`. */
export interface LeaderElectionOptions {
  /** Election name; the lock key is `/kubeplane/leader-election/<name>`. */
  name: string;
  /** Written into the lock key so operators can see who leads (e.g. pod name). */
  identity: string;
  /** Lease TTL in whole seconds (>= 1); a crashed leader is replaced within about this long. */
  ttlSeconds: number;
}

export const LEADER_ELECTION_PREFIX = "/kubeplane/leader-election/";

const RETRY_MS = 200;

/**
 * Campaigns for leadership of `name` among processes sharing one etcd.
 *
 * The leader holds a key created with its lease. It keeps the lease alive every ttl/3 and steps
 * down (aborts the term signal) once it has not renewed for 2/3 of the ttl, so it stops acting
 * before etcd can expire the lease and let a standby lead. A standby watches the key and tries
 * again when it is deleted (resign) or expires (crash).
 */
export class LeaderElection {
  readonly key: string;

  constructor(
    private readonly store: EtcdStore,
    private readonly opts: LeaderElectionOptions,
  ) {
    if (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds < 1) throw new RangeError(`ttlSeconds must be a whole number >= 1, got ${opts.ttlSeconds}`);
    this.key = `${LEADER_ELECTION_PREFIX}${opts.name}`;
  }

  /**
   * Campaigns until `signal` aborts. Each time this process becomes leader it calls `onLeading`
   * with a term signal that aborts when leadership is lost (lease not renewed in time, key deleted)
   * or `signal` aborts, and waits for it to settle before campaigning again. If `onLeading`
   * returns while still leading, the term ends (it resigns) and the campaign continues. On abort it
   * resigns (revokes the lease) so a standby takes over at once. Rejects only with an error thrown
   * by `onLeading` (after resigning); etcd outages are retried.
   */
  async run(signal: AbortSignal, onLeading: (termSignal: AbortSignal) => Promise<void>): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#campaignOnce(signal, onLeading);
      } catch (error) {
        if (signal.aborted) return;
        // An expired lease (e.g. after a long outage) just means campaigning again with a new one.
        if (!isUnavailable(error) && !(error instanceof EtcdLeaseInvalidError)) throw error;
        await sleep(RETRY_MS, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  async #campaignOnce(signal: AbortSignal, onLeading: (termSignal: AbortSignal) => Promise<void>): Promise<void> {
    const client = this.store.etcdClient;
    const grantedAt = Date.now();
    const lease = client.lease(this.opts.ttlSeconds);
    lease.on("lost", () => undefined); // observed through the renew deadline below
    try {
      const leaseId = await lease.grant();
      const key = Buffer.from(this.key);
      while (!signal.aborted && !lease.revoked()) {
        const res = await client.kv.txn({
          compare: [{ key, target: "Create", result: "Equal", create_revision: 0 }],
          success: [{ request_put: { key, value: Buffer.from(this.opts.identity), lease: leaseId } }],
          failure: [{ request_range: { key } }],
        });
        const holder = res.responses[0]?.response_range?.kvs[0];
        if (res.succeeded || holder?.lease === leaseId) {
          const heldSince = res.succeeded ? Number(res.header.revision) : Number(holder!.mod_revision);
          await this.#lead(lease, leaseId, grantedAt, heldSince, signal, onLeading);
          return;
        }
        await this.#awaitRelease(key, Number(res.header.revision) + 1, signal);
      }
    } finally {
      // Revoking deletes the key at once, so a standby need not wait for the ttl.
      await lease.revoke({ deadline: Date.now() + 1_000 }).catch(() => undefined);
    }
  }

  async #lead(lease: Lease, leaseId: string, grantedAt: number, heldSince: number, signal: AbortSignal, onLeading: (termSignal: AbortSignal) => Promise<void>): Promise<void> {
    const ttlMs = this.opts.ttlSeconds * 1000;
    const term = new AbortController();
    const end = (): void => term.abort(new Error(`leadership of ${this.opts.name} lost`));
    signal.addEventListener("abort", end, { once: true });

    // The lease is valid until (send time of the last acknowledged keep-alive) + ttl; step down well before.
    let renewedAt = grantedAt;
    let pendingSince: number | undefined;
    lease.on("keepaliveFired", () => (pendingSince ??= Date.now()));
    lease.on("keepaliveSucceeded", () => {
      renewedAt = pendingSince ?? Date.now();
      pendingSince = undefined;
    });
    lease.on("lost", end);
    const renewDeadlineMs = (ttlMs * 2) / 3;
    const check = setInterval(() => Date.now() - renewedAt > renewDeadlineMs && end(), Math.max(50, ttlMs / 20));

    // Someone deleting the key (an operator, a revoke elsewhere) also ends the term. A watch that
    // reconnects after etcd compacted past its resume point (a quiet key) reads the key instead.
    const key = Buffer.from(this.key);
    const watchDone = (async () => {
      for (let from = heldSince + 1; ; ) {
        try {
          const events = watchRange(this.store.etcdClient, { key, startRevision: from, reconnectTimeoutMs: ttlMs }, term.signal);
          for await (const event of events) if (event.type === "Delete") return end();
          return;
        } catch (error) {
          if (!isCompacted(error) || term.signal.aborted) throw error;
          const res = await this.store.etcdClient.kv.range({ key });
          if (res.kvs[0]?.lease !== leaseId) return end();
          from = Number(res.header.revision) + 1;
        }
      }
    })().catch(end);
    try {
      await onLeading(term.signal);
    } finally {
      end();
      clearInterval(check);
      signal.removeEventListener("abort", end);
      await watchDone;
    }
  }

  /**
   * Resolves once the key is deleted at or after `fromRevision` (resign or lease expiry), on abort,
   * or when etcd compacted past the watch's resume point (the caller then reads the key again).
   */
  async #awaitRelease(key: Buffer, fromRevision: number, signal: AbortSignal): Promise<void> {
    try {
      const events = watchRange(this.store.etcdClient, { key, startRevision: fromRevision, reconnectTimeoutMs: 10_000 }, signal);
      for await (const event of events) if (event.type === "Delete") return;
    } catch (error) {
      if (!isCompacted(error)) throw error;
    }
  }
}
