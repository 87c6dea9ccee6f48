// The tail of a leader-elected service's `run`: serve until SIGTERM, exit non-zero on lost leadership.
import type { Logger } from "./logger.js";
import { LeadershipLostError } from "./manager.js";

/** A started leader-elected component: `done` settles when its work ends, `stop` shuts it down. */
export interface StartedComponent {
  done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Waits for the signal (then stops the component) or for its work to end. Losing the lease stops
 * it and sets a non-zero exit code, so the process restarts and campaigns afresh (as
 * kube-controller-manager and kube-scheduler do); other failures are rethrown.
 */
export async function serveUntilStopped(component: StartedComponent, signal: AbortSignal, logger: Logger): Promise<void> {
  const aborted = new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  try {
    await Promise.race([aborted, component.done]);
  } catch (err) {
    if (err instanceof LeadershipLostError) {
      logger.error({ err }, "leadership lost: exiting so a fresh start campaigns again");
      await component.stop();
      process.exitCode = 1;
      return;
    }
    throw err;
  }
  await component.stop();
}
