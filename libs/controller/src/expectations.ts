// Expectations: what a controller has asked the apiserver to create or delete and not yet seen in
// its informer, so it does not act twice on a stale cache (Kubernetes' ControllerExpectations).

interface Pending {
  adds: number;
  deletes: Set<string>;
  at: number;
}

/**
 * Per controller key, the creations and deletions in flight. A controller records them before it
 * writes, its informer handlers record observations, and `satisfied(key)` says whether the cache
 * can be trusted for that key. Records expire after `ttlMs` (default 5 min) so a lost event can
 * never wedge a key. Single-threaded: no locking needed.
 */
export class Expectations {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The controller is about to create `count` objects for `key`. */
  expectCreations(key: string, count: number): void {
    const p = this.record(key);
    p.adds += count;
  }

  /** The controller is about to delete these objects (by uid) for `key`. */
  expectDeletions(key: string, uids: readonly string[]): void {
    const p = this.record(key);
    for (const uid of uids) p.deletes.add(uid);
  }

  /** An object created for `key` appeared in the cache (or its create failed). */
  creationObserved(key: string): void {
    const p = this.pending.get(key);
    if (p && p.adds > 0) p.adds--;
  }

  /** An object deleted for `key` left the cache (or its delete failed). */
  deletionObserved(key: string, uid: string): void {
    this.pending.get(key)?.deletes.delete(uid);
  }

  /** True when nothing is in flight for `key` (or what was is older than the TTL). */
  satisfied(key: string): boolean {
    const p = this.pending.get(key);
    if (!p) return true;
    if ((p.adds <= 0 && p.deletes.size === 0) || this.now() - p.at > this.ttlMs) {
      this.pending.delete(key);
      return true;
    }
    return false;
  }

  /** Forgets `key` (its owner was deleted). */
  delete(key: string): void {
    this.pending.delete(key);
  }

  private record(key: string): Pending {
    let p = this.pending.get(key);
    if (!p || this.now() - p.at > this.ttlMs) {
      p = { adds: 0, deletes: new Set(), at: this.now() };
      this.pending.set(key, p);
    }
    p.at = this.now();
    return p;
  }
}
