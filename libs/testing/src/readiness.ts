// Waits for spawned servers to become ready, failing fast with their logs when one exits instead.
import { ProcessStartError, WaitTimeoutError } from "./errors.js";
import { describeExit, tailFiles, type ManagedProcess } from "./managed-process.js";
import { waitFor, type NotYet } from "./wait-for.js";

/** What `awaitReady` needs to know about the processes it watches. */
export interface ReadinessCheck {
  /** Named in errors, e.g. "etcd cluster (3 members)". */
  what: string;
  processes: readonly ManagedProcess[];
  /** Files whose tail goes into a ProcessStartError. */
  logFiles: readonly string[];
  /** Returns truthy once ready; may throw while not. */
  probe: () => unknown;
  timeoutMs: number;
}

/**
 * Resolves once `probe` reports ready. Rejects with ProcessStartError as soon as any of the
 * processes exits, or at the deadline (with the WaitTimeoutError as `cause`).
 */
export async function awaitReady(check: ReadinessCheck): Promise<void> {
  const abort = new AbortController();
  const earlyExit = Promise.race(
    check.processes.map(async (proc) => {
      const exit = await proc.exited;
      return { proc, exit };
    }),
  );
  try {
    const winner = await Promise.race([
      waitFor(async () => ((await check.probe()) ? true : (false as NotYet)), {
        timeoutMs: check.timeoutMs,
        intervalMs: 50,
        message: `${check.what} to become ready`,
        signal: abort.signal,
      }),
      earlyExit,
    ]);
    if (winner !== true) {
      const reason = `${winner.proc.command} ${describeExit(winner.exit)}${winner.exit.error ? "" : " before becoming ready"}`;
      throw new ProcessStartError(check.what, reason, tailFiles(check.logFiles), { cause: winner.exit.error });
    }
  } catch (error) {
    if (error instanceof WaitTimeoutError) {
      throw new ProcessStartError(check.what, error.message, tailFiles(check.logFiles), { cause: error });
    }
    throw error;
  } finally {
    abort.abort();
  }
}
