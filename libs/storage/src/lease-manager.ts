// Shares etcd leases among objects that expire (Events): one lease per reuse window, not one per write.
import { RV_ORDINALS } from "@kubeplane/api";

/** What the lease manager needs from the store (EtcdStore implements it). */
export interface LeaseGranter {
  grantLease(ttlSeconds: number): Promise<string>;
}

/** One revision's resourceVersions (RV_ORDINALS): the most keys one lease's expiry may delete at once. */
export const MAX_OBJECTS_PER_LEASE = RV_ORDINALS;

/** Options of `LeaseManager`. */
export interface LeaseManagerOptions {
  /** Longest a lease is reused for, in seconds (Kubernetes: 60). */
  reuseDurationSeconds?: number;
  /** Share of the TTL a lease may be reused for, when smaller (Kubernetes: 5 %). */
  reuseDurationPercent?: number;
  /**
   * Most objects attached to one lease before a new one is granted. Default 128, not Kubernetes'
   * 1000: etcd deletes all of an expired lease's keys in ONE revision, and a revision has only 128
   * resourceVersions (mod_revision × 128 + ordinal), so more keys would share versions in the watch.
   */
  maxObjectsPerLease?: number;
  now?: () => number;
}

/**
 * kube-apiserver's lease manager (storage/etcd3/lease_manager.go): objects written within one
 * reuse window (a minute, for a one-hour TTL) share a lease granted for TTL + window, so each
 * object lives at least its TTL and at most TTL + window, and etcd keeps one lease per minute
 * instead of one per Event. Safe for concurrent callers: writes that need a new lease at the same
 * moment wait for one grant.
 */
export class LeaseManager {
  readonly #granter: LeaseGranter;
  readonly #reuseSeconds: number;
  readonly #reusePercent: number;
  readonly #maxObjects: number;
  readonly #now: () => number;
  #current: { id: string; ttlSeconds: number; expiresAt: number; attached: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(granter: LeaseGranter, opts: LeaseManagerOptions = {}) {
    this.#granter = granter;
    this.#reuseSeconds = opts.reuseDurationSeconds ?? 60;
    this.#reusePercent = opts.reuseDurationPercent ?? 0.05;
    this.#maxObjects = opts.maxObjectsPerLease ?? MAX_OBJECTS_PER_LEASE;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * A lease under which an object written now lives at least `ttlSeconds`. Rejects with the store's
   * error when a grant fails (the write should fail too: an Event must not be stored forever).
   */
  async leaseFor(ttlSeconds: number): Promise<string> {
    const now = this.#now();
    const reuse = Math.min(this.#reuseSeconds, Math.floor(ttlSeconds * this.#reusePercent));
    const current = this.#current;
    // Valid: the object's TTL ends before the lease does; sufficient: not longer than TTL + window.
    if (current && now + ttlSeconds * 1000 <= current.expiresAt && now + (ttlSeconds + reuse) * 1000 >= current.expiresAt && current.attached < this.#maxObjects) {
      current.attached++;
      return current.id;
    }
    this.#pending ??= this.#grant(ttlSeconds + reuse, ttlSeconds).finally(() => (this.#pending = undefined));
    const id = await this.#pending;
    if (this.#current?.id === id) this.#current.attached++;
    return id;
  }

  async #grant(grantSeconds: number, ttlSeconds: number): Promise<string> {
    // Measured before the call: the lease may expire earlier than now + grant, never later.
    const startedAt = this.#now();
    const id = await this.#granter.grantLease(grantSeconds);
    this.#current = { id, ttlSeconds, expiresAt: startedAt + grantSeconds * 1000, attached: 0 };
    return id;
  }
}
