// The controllers' work queue: fair, stingy, de-duplicating, with delayed and rate-limited adds.
import { defaultControllerRateLimiter, type RateLimiter } from "./rate-limiter.js";

/** What `get` hands a worker: a key to process, or the news that the queue has shut down. */
export type QueueItem<K> = { key: K; shutdown: false } | { key: undefined; shutdown: true };

/**
 * A work queue with client-go's contract:
 * - fair: keys are processed in the order they were first added;
 * - stingy: a key is never handed to two workers at once, adds of a key already waiting collapse
 *   into one, and a key added while being processed is handed out again only after `done`;
 * - many producers and consumers may use it concurrently (one event loop: no locks needed);
 * - `shutDown` wakes every waiting `get` with `shutdown: true`; keys still queued are dropped
 *   (use `shutDownWithDrain` to wait for in-flight keys to be `done`).
 * Retries: `addRateLimited(key)` re-adds after the rate limiter's delay; `forget(key)` after a success.
 */
export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly waiters: Array<(item: QueueItem<K>) => void> = [];
  private readonly timers = new Map<K, { at: number; timer: NodeJS.Timeout }>();
  private shuttingDown = false;
  private drained: (() => void) | undefined;

  constructor(private readonly limiter: RateLimiter<K> = defaultControllerRateLimiter<K>()) {}

  /** Marks `key` as needing processing. */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter({ key, shutdown: false });
    } else {
      this.queue.push(key);
    }
  }

  /** Adds `key` after `delayMs`; an earlier pending delayed add of the same key wins. */
  addAfter(key: K, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    this.timers.set(key, { at, timer });
  }

  /** Re-adds `key` after its back-off: the retry of a failed reconcile. */
  addRateLimited(key: K): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** Ends `key`'s back-off (call after it was processed successfully). */
  forget(key: K): void {
    this.limiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.limiter.retries(key);
  }

  /** Waits for the next key; the caller must call `done(key)` when finished with it. */
  get(): Promise<QueueItem<K>> {
    if (this.queue.length) {
      const key = this.queue.shift()!;
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve({ key, shutdown: false });
    }
    if (this.shuttingDown) return Promise.resolve({ key: undefined, shutdown: true });
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Finishes processing `key`; if it was added meanwhile, it is queued again. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
    if (this.drained && this.processing.size === 0) this.drained();
  }

  /** Keys waiting (not counting those being processed or delayed). */
  get length(): number {
    return this.queue.length;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.dirty.clear();
    for (const w of this.waiters.splice(0)) w({ key: undefined, shutdown: true });
  }

  /** Shuts down, then resolves once every key being processed is done. */
  async shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return;
    await new Promise<void>((resolve) => (this.drained = resolve));
  }
}
