// Polls a probe until it reports readiness or a deadline passes: the only way tests wait.
import { WaitTimeoutError } from "./errors.js";

/** A probe's "not yet" answers; anything else truthy means ready and is what `waitFor` resolves with. */
export type NotYet = undefined | null | false;

/** Options of `waitFor`. */
export interface WaitForOptions {
  /** Deadline measured from the call, in milliseconds. Default 10000. */
  timeoutMs?: number;
  /** Pause between the end of one probe and the start of the next. Default 25. */
  intervalMs?: number;
  /** What is being waited for; named in the timeout error ("timed out after 10000 ms waiting for <message>"). */
  message?: string;
  /** Aborting rejects the wait at once with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Calls `probe` until it returns (or resolves to) a truthy value and resolves with that value.
 * A probe that throws or rejects counts as "not yet"; the last such error becomes the `cause` of
 * the `WaitTimeoutError` thrown at the deadline, and its message is included. A probe still
 * pending at the deadline is abandoned (its result is ignored). Probes never overlap.
 */
export async function waitFor<T>(probe: () => T | NotYet | PromiseLike<T | NotYet>, opts: WaitForOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 25, message = "condition", signal } = opts;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let attempts = 0;

  for (;;) {
    signal?.throwIfAborted();
    attempts++;
    const outcome = await raceDeadline(
      (async () => {
        try {
          return { value: await probe() };
        } catch (error) {
          return { error };
        }
      })(),
      deadline,
      signal,
    );
    if (outcome === "deadline") {
      throw timeout(`${describe(timeoutMs, message, attempts)}; the last probe was still running`, lastError);
    }
    if ("error" in outcome) lastError = outcome.error;
    else if (outcome.value) return outcome.value;

    if (Date.now() + intervalMs >= deadline) {
      // One last look exactly at the deadline would not change much; report now.
      throw timeout(describe(timeoutMs, message, attempts), lastError);
    }
    if ((await raceDeadline(delay(intervalMs), deadline, signal)) === "deadline") {
      throw timeout(describe(timeoutMs, message, attempts), lastError);
    }
  }
}

function describe(timeoutMs: number, message: string, attempts: number): string {
  return `timed out after ${timeoutMs} ms waiting for ${message} (${attempts} attempt${attempts === 1 ? "" : "s"})`;
}

function timeout(text: string, lastError: unknown): WaitTimeoutError {
  if (lastError === undefined) return new WaitTimeoutError(text);
  const detail = lastError instanceof Error ? lastError.message : String(lastError);
  return new WaitTimeoutError(`${text}; last error: ${detail}`, { cause: lastError });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the promise's value, or "deadline" if the deadline passes first; rejects on abort. */
function raceDeadline<V>(promise: Promise<V>, deadline: number, signal: AbortSignal | undefined): Promise<V | "deadline"> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => settle(() => resolve("deadline")), Math.max(0, deadline - Date.now()));
    const onAbort = (): void => settle(() => reject(signal?.reason));
    signal?.addEventListener("abort", onAbort, { once: true });
    let settled = false;
    function settle(finish: () => void): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      finish();
    }
    promise.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}
