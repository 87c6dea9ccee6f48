// Per-key exponential back-off for restarts and image pulls (the kubelet's flowcontrol.Backoff):
// 10 s doubling to 5 min by default, forgotten once an entry has been quiet for twice the maximum.

/** Back-off durations of one kind (container restarts, image pulls). Not thread-safe: the pod worker of a key owns it. */
export class Backoff {
  private readonly entries = new Map<string, { delayMs: number; lastUpdate: number }>();

  constructor(
    readonly initialMs: number,
    readonly maxMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a failure at `at` (default now): the next delay doubles, capped at the maximum. */
  next(key: string, at = this.now()): number {
    const entry = this.entries.get(key);
    if (!entry || this.expired(entry, at)) {
      this.entries.set(key, { delayMs: this.initialMs, lastUpdate: at });
      return this.initialMs;
    }
    entry.delayMs = Math.min(entry.delayMs * 2, this.maxMs);
    entry.lastUpdate = at;
    return entry.delayMs;
  }

  /** The current delay for key (0 if none). */
  get(key: string): number {
    const entry = this.entries.get(key);
    return entry && !this.expired(entry, this.now()) ? entry.delayMs : 0;
  }

  /** Whether `at` (e.g. the last failure's time) is still inside key's current back-off window. */
  isInBackOffSince(key: string, at: number): boolean {
    const entry = this.entries.get(key);
    if (!entry || this.expired(entry, this.now())) return false;
    return this.now() - at < entry.delayMs;
  }

  /** Remaining milliseconds of key's window measured from `at`, or 0. */
  remaining(key: string, at: number): number {
    const entry = this.entries.get(key);
    if (!entry || this.expired(entry, this.now())) return 0;
    return Math.max(0, entry.delayMs - (this.now() - at));
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every key starting with prefix (a pod's entries when it goes). */
  resetPrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  private expired(entry: { lastUpdate: number }, at: number): boolean {
    return at - entry.lastUpdate > 2 * this.maxMs;
  }
}
