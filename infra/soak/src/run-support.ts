// Small helpers the soak programs share: settings from the environment and progress lines.
import { setTimeout as delay } from "node:timers/promises";

/** A positive integer from the environment variable `name`, or `fallback`; anything else is a RangeError. */
export function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw.replaceAll("_", ""));
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** The environment variable `name`, or `fallback` when unset or empty. */
export function stringFromEnv(name: string, fallback: string): string {
  const raw = process.env[name];
  return raw === undefined || raw === "" ? fallback : raw;
}

/** A timestamped progress line on stderr (results go to stdout). */
export function progress(line: string): void {
  process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, signal ? { signal } : undefined).catch(() => undefined);
}
