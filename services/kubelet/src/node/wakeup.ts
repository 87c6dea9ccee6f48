// An interruptible pause for periodic loops: ends at its timeout, at a `trigger()`, or when aborted.

/** Lets one loop sleep between rounds and be woken early; a trigger while it runs is kept for its next wait. */
export class Wakeup {
  private pending = false;
  private wake: (() => void) | undefined;

  /** Wakes the current wait, or makes the next one return at once. */
  trigger(): void {
    this.pending = true;
    this.wake?.();
  }

  /** Resolves after `ms`, at a trigger, or when `signal` aborts (never rejects). */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.pending || signal.aborted) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.wake = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.wake = done;
    });
  }
}

/** Resolves after `ms` or when `signal` aborts, whichever comes first (never rejects). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Wakeup().wait(ms, signal);
}
