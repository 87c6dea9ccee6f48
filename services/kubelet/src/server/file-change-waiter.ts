// Waits for a directory's files to change (inotify through fs.watch), with a polling fallback.
import { watch, type FSWatcher } from "node:fs";

/**
 * Wakes a log follower when something in a directory changes. A change that happens between two
 * waits is remembered, so none is lost; `wait` also returns after `pollMs` in any case (fs.watch
 * may miss events on some filesystems, and the follower re-checks the container then). Not for
 * concurrent waits; `close` when done.
 */
export class FileChangeWaiter {
  private watcher: FSWatcher | undefined;
  private changed = false;
  private wake: (() => void) | undefined;

  constructor(dir: string, private readonly pollMs: number) {
    try {
      this.watcher = watch(dir, { persistent: false }, () => this.notify());
      this.watcher.on("error", () => this.close());
    } catch {
      // No such directory yet, or no inotify: polling alone.
      this.watcher = undefined;
    }
  }

  private notify(): void {
    this.changed = true;
    this.wake?.();
  }

  /** Resolves on a change since the last wait, after pollMs, or when `signal` aborts. Never rejects. */
  wait(signal: AbortSignal): Promise<void> {
    if (this.changed || signal.aborted) {
      this.changed = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.wake = undefined;
        this.changed = false;
        resolve();
      };
      const timer = setTimeout(done, this.pollMs);
      signal.addEventListener("abort", done, { once: true });
      this.wake = done;
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.wake?.();
  }
}
