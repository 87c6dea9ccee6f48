// The stored bytes this replica last wrote or read per key, so a read-modify-write can skip its etcd read.
import type { StoredValue } from "@kubeplane/storage";

/** Bounds, so the cache stays a few tens of MiB at most. */
const DEFAULT_MAX_ENTRIES = 16_384;
const DEFAULT_MAX_VALUE_BYTES = 64 * 1024;

/**
 * A bounded, least-recently-used map from etcd key to the value this replica last saw stored there
 * (kube-apiserver's GuaranteedUpdate seeds its compare-and-swap the same way, from its watch cache).
 * An entry is only a guess of the current state: (key, resourceVersion) names one immutable value, but
 * another replica may have written since. Callers must therefore use it only as the expected state
 * of a compare-and-swap, and re-read etcd before trusting it for anything the CAS does not check
 * (an error, a no-op write). Not shared across processes; synchronous, so safe under concurrency.
 */
export class RecentObjects {
  readonly #entries = new Map<string, StoredValue>();

  constructor(
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
    private readonly maxValueBytes = DEFAULT_MAX_VALUE_BYTES,
  ) {}

  get(key: string): StoredValue | undefined {
    const found = this.#entries.get(key);
    if (found) {
      // Refresh its place in the eviction order.
      this.#entries.delete(key);
      this.#entries.set(key, found);
    }
    return found;
  }

  /** Records what `key` holds at `stored.resourceVersion`; an older version never replaces a newer one. */
  remember(stored: StoredValue): void {
    const known = this.#entries.get(stored.key);
    if (known && known.resourceVersion > stored.resourceVersion) return;
    this.#entries.delete(stored.key);
    if (stored.value.byteLength > this.maxValueBytes) return;
    this.#entries.set(stored.key, stored);
    if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** Forgets `key` (deleted, or its state is unknown). */
  forget(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}
