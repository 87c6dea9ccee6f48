// Runs ApacheBench (`ab`, Debian apache2-utils) against a proxy and reads its figures.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { pinned } from "./cpu-pinning.js";

/** What one `ab` run measured. */
export interface AbResult {
  requests: number;
  requestsPerSec: number;
  /** Wall time of the run (ab's "Time taken for tests"). */
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  non2xx: number;
}

/** `ab -c concurrency -n requests -H "Host: host" url` (a new connection per request, as the figures), on `cpus` (taskset) if set. */
export async function apacheBench(url: string, host: string, concurrency: number, requests: number, cpus?: string): Promise<AbResult> {
  const dir = await mkdtemp(join(tmpdir(), "kp-ab-"));
  try {
    // -e: the percentiles in ms with three decimals (the text report rounds them to whole ms).
    const csv = join(dir, "percentiles.csv");
    const args = ["-q", "-e", csv, "-c", String(concurrency), "-n", String(requests), "-H", `Host: ${host}`, url];
    const { stdout } = await promisify(execFile)(...pinned(cpus, "ab", args), { maxBuffer: 1 << 20 });
    const percentiles = new Map((await readFile(csv, "utf8")).split("\n").slice(1).map((l) => l.split(",").map(Number) as [number, number]));
    const number = (re: RegExp): number => Number(re.exec(stdout)?.[1] ?? NaN);
    return {
      requests,
      requestsPerSec: number(/Requests per second:\s+([\d.]+)/),
      seconds: number(/Time taken for tests:\s+([\d.]+)/),
      p50Ms: percentiles.get(50) ?? NaN,
      p99Ms: percentiles.get(99) ?? NaN,
      failed: number(/Failed requests:\s+(\d+)/),
      non2xx: Number(/Non-2xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
