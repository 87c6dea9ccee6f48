// Turns cumulative CPU time samples into a usage rate (nano cores), as cAdvisor does between two housekeeping samples.

/** One reading of a cumulative CPU counter and the memory working set. */
export interface UsageSample {
  /** Nanoseconds since the epoch of the reading. */
  timestampNanos: number;
  cpuUsageCoreNanoSeconds: number;
  memoryWorkingSetBytes: number;
}

/** A sample with the CPU rate over the window that ends at it (undefined until a window exists). */
export interface UsageRate extends UsageSample {
  usageNanoCores?: number;
}

/**
 * Remembers, per key (a container id, "node"), the sample that opens the current window. A window
 * must span at least `minWindowNanos` so that two readings taken close together do not give a
 * noisy rate: a reading within it is measured against the window's start without replacing it.
 * A counter that went backwards (a restarted container reusing the key) restarts the window.
 * Single-threaded use; `retain` drops keys no longer reported.
 */
export class UsageSampler {
  private readonly starts = new Map<string, UsageSample>();

  constructor(private readonly minWindowNanos = 1e9) {}

  observe(key: string, sample: UsageSample): UsageRate {
    const start = this.starts.get(key);
    if (!start || sample.cpuUsageCoreNanoSeconds < start.cpuUsageCoreNanoSeconds || sample.timestampNanos <= start.timestampNanos) {
      this.starts.set(key, sample);
      return { ...sample };
    }
    const elapsed = sample.timestampNanos - start.timestampNanos;
    const usageNanoCores = Math.round(((sample.cpuUsageCoreNanoSeconds - start.cpuUsageCoreNanoSeconds) / elapsed) * 1e9);
    if (elapsed >= this.minWindowNanos) this.starts.set(key, sample);
    return { ...sample, usageNanoCores };
  }

  /** Forgets every key not in `keys`. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.starts.keys()) if (!keys.has(key)) this.starts.delete(key);
  }
}
