// Helpers the `make bench` programs share: scale, progress, percentiles, process CPU and memory
// from /proc, Prometheus text parsing, and running many operations on a few workers.
import { execFileSync } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";

/** KP_BENCH_SCALE as a positive number (default 1); anything else is a RangeError. */
export function parseBenchScale(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 1;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`KP_BENCH_SCALE must be a positive number, got ${JSON.stringify(raw)}`);
  return scale;
}

/** A progress line on stderr (the figures go to stdout). */
export function benchProgress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function clockTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

let clkTck: number | undefined;

/** The kernel's clock ticks per second (CLK_TCK), the unit of /proc CPU times; 100 if getconf fails. */
export function clockTicks(): number {
  clkTck ??= clockTicksPerSecond();
  return clkTck;
}

/** A process's user + system CPU so far, in seconds, from /proc/<pid>/stat (fields 14 and 15). */
export async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // The command name may hold spaces and parentheses; the fields after it start with the state (field 3).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/** A process's resident memory in MiB, from /proc/<pid>/status. */
/** The pids of this process's children whose command name is `comm` (etcd, nats-server started by this package's helpers). */
export async function childPids(comm: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    if (open < 0 || close < 0 || stat.slice(open + 1, close) !== comm) continue;
    if (Number(stat.slice(close + 2).split(" ")[1]) === process.pid) found.push(Number(entry));
  }
  return found;
}

export async function processRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kib === undefined ? NaN : Number(kib) / 1024;
}

export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of `name` in Prometheus text whose labels include `labels`. */
export function metricSamples(text: string, name: string, labels: Record<string, string> = {}): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = /\{(.*)\}/.exec(line)?.[1] ?? "";
    const found = Object.fromEntries([...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (!Object.entries(labels).every(([k, v]) => found[k] === v)) continue;
    out.push({ labels: found, value: Number(line.slice(line.lastIndexOf(" ") + 1)) });
  }
  return out;
}

/** Sums of `name`'s samples keyed by label `by`'s value ("" when not given). */
export function metricSums(text: string, name: string, labels: Record<string, string> = {}, by?: string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const s of metricSamples(text, name, labels)) {
    const key = by === undefined ? "" : (s.labels[by] ?? "");
    sums[key] = (sums[key] ?? 0) + s.value;
  }
  return sums;
}

export const sumOf = (sums: Record<string, number>): number => Object.values(sums).reduce((a, b) => a + b, 0);

/**
 * Runs `op(0..count-1)` on `concurrency` workers with a progress line every 2 s; the first error
 * stops them all and is rethrown. Resolves with the seconds it took.
 */
export async function runConcurrently(label: string, count: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  let done = 0;
  let failed = false;
  const ticker = setInterval(() => benchProgress(`${label}: ${done}/${count}`), 2000);
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (!failed && next < count) {
      const i = next++;
      try {
        await op(i);
      } catch (err) {
        failed = true;
        throw new Error(`${label}: operation ${i} failed`, { cause: err });
      }
      done++;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, () => worker()));
  } finally {
    clearInterval(ticker);
  }
  return (performance.now() - started) / 1000;
}
