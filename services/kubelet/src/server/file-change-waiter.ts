// Waits for a directory's files to change (inotify through fs.watch), with a polling fallback.
import { watch, type FSWatcher } from "node:fs";
import { Wakeup } from "../node/wakeup.js";

/**
 * Wakes a log follower when something in a directory changes. A change that happens between two
 * waits is remembered, so none is lost; `wait` also returns after `pollMs` in any case (fs.watch
 * may miss events on some filesystems, and the follower re-checks the container then). Not for
 * concurrent waits; `close` when done.
 */
export class FileChangeWaiter {
  private watcher: FSWatcher | undefined;
  private readonly wakeup = new Wakeup();

  constructor(dir: string, private readonly pollMs: number) {
    try {
      this.watcher = watch(dir, { persistent: false }, () => this.wakeup.trigger());
      this.watcher.on("error", () => this.close());
    } catch {
      // No such directory yet, or no inotify: polling alone.
      this.watcher = undefined;
    }
  }

  /** Resolves on a change since the last wait, after pollMs, or when `signal` aborts. Never rejects. */
  wait(signal: AbortSignal): Promise<void> {
    return this.wakeup.wait(this.pollMs, signal);
  }

  /** Stops watching; a wait in progress returns (the follower re-checks, then polls). */
  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.wakeup.trigger();
  }
}
