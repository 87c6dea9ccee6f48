// Retry delays for work queue keys: per-key exponential back-off combined with a global token bucket.

/** Decides how long a key waits before its next retry. Called only by the work queue. */
export interface RateLimiter<K> {
  /** The delay before `key`'s next attempt; each call counts as one more failure. */
  when(key: K): number;
  /** Clears `key`'s failure count (after a success). */
  forget(key: K): void;
  /** How many times `key` has failed since it was last forgotten. */
  retries(key: K): number;
}

/** base·2^failures, capped at max (client-go's ItemExponentialFailureRateLimiter). */
export class ExponentialBackoff<K> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();

  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1000_000,
  ) {}

  when(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  retries(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

/** A token bucket over all keys: `qps` sustained, `burst` at once (client-go's BucketRateLimiter). */
export class TokenBucket<K> implements RateLimiter<K> {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps = 10,
    private readonly burst = 100,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  when(_key: K): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.qps);
    this.last = t;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  forget(_key: K): void {}

  retries(_key: K): number {
    return 0;
  }
}

/** The longest delay any of its limiters asks for (client-go's MaxOfRateLimiter). */
export class MaxOf<K> implements RateLimiter<K> {
  private readonly limiters: RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    this.limiters = limiters;
  }

  when(key: K): number {
    return Math.max(...this.limiters.map((l) => l.when(key)));
  }

  forget(key: K): void {
    for (const l of this.limiters) l.forget(key);
  }

  retries(key: K): number {
    return Math.max(...this.limiters.map((l) => l.retries(key)));
  }
}

/** client-go's default controller rate limiter: 5 ms doubling to 1000 s per key, 10 qps / 100 burst overall. */
export function defaultControllerRateLimiter<K>(): RateLimiter<K> {
  return new MaxOf<K>(new ExponentialBackoff<K>(5, 1000_000), new TokenBucket<K>(10, 100));
}
