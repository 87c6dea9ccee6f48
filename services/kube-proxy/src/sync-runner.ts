// The bounded-frequency loop under kube-proxy's rule writers (proxy rules, network policy): coalesced, never overlapping, periodic.

/** What a SyncRunner runs and how often. */
export interface SyncRunnerOptions {
  /** One sync. Never rejects: it returns false when it failed (the runner then queues another). */
  sync: () => Promise<boolean>;
  /** Least time between the starts of two syncs; changes in between are coalesced into one. */
  minSyncPeriodMs: number;
  /** Period of the forced sync (`onPeriodic` is called first, e.g. to make it a full rewrite). */
  syncPeriodMs: number;
  onPeriodic?: () => void;
  /** Delay before the retry after `failures` failed syncs in a row; by default minSyncPeriod alone. */
  retryDelayMs?: (failures: number) => number;
}

/**
 * Runs `sync` when something changed, at most once per minSyncPeriod, never two at once, and
 * every syncPeriod regardless (kube-proxy's BoundedFrequencyRunner). `queue` may be called from any
 * informer handler, also before `run`; nothing syncs before `run`, which its caller starts once the
 * caches synced, so the first sync never sees a half-listed cluster.
 */
export class SyncRunner {
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private lastStart = 0;
  private started = false;
  private stopped = false;
  private failures = 0;

  constructor(private readonly opts: SyncRunnerOptions) {}

  /** True when no sync is queued or running. */
  get idle(): boolean {
    return !this.timer && !this.inFlight && !this.dirty;
  }

  /** Queues a sync as soon as minSyncPeriod allows. */
  queue(): void {
    this.dirty = true;
    this.schedule();
  }

  /** Syncs until `signal` aborts, then waits for a sync in flight; what the syncs wrote stays in place. */
  async run(signal: AbortSignal): Promise<void> {
    this.started = true;
    // setInterval treats periods past 2^31-1 ms as 1 ms: cap them (about 24.8 days).
    const periodic = setInterval(() => {
      this.opts.onPeriodic?.();
      this.queue();
    }, Math.min(this.opts.syncPeriodMs, 2 ** 31 - 1));
    this.queue();
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
    this.stopped = true;
    clearInterval(periodic);
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private schedule(delayMs?: number): void {
    if (!this.started || this.stopped || this.timer || this.inFlight || !this.dirty) return;
    const wait = Math.max(delayMs ?? 0, this.lastStart + this.opts.minSyncPeriodMs - Date.now(), 0);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastStart = Date.now();
      this.dirty = false;
      this.inFlight = this.opts.sync().then((ok) => {
        if (ok) this.failures = 0;
        else {
          this.failures++;
          this.dirty = true;
        }
      });
      void this.inFlight.finally(() => {
        this.inFlight = undefined;
        this.schedule(this.failures > 0 ? this.opts.retryDelayMs?.(this.failures) : undefined);
      });
    }, wait);
  }
}
