// Runs dnsperf (Debian dnsperf) against a DNS server: queries/s from a plain run, latency percentiles from a verbose one.
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { percentile } from "@kubeplane/testing";

/** One server's figures under dnsperf. */
export interface DnsperfResult {
  queriesPerSec: number;
  lost: number;
  p50Ms: number;
  p99Ms: number;
}

const args = (port: number, file: string, clients: number, seconds: number): string[] =>
  ["-s", "127.0.0.1", "-p", String(port), "-d", file, "-c", String(clients), "-q", String(clients), "-l", String(seconds)];

/**
 * `clients` clients with one query outstanding each (`-c N -q N`) for `seconds`: the q/s of that
 * run; then a run of half as long with `-v`, whose per-query latencies give p50 and p99. The
 * verbose lines (~100,000 a second) go to a file read after the run: parsed while it ran, they
 * cost the bench a good part of a core, taken from the server measured on this 2-core machine.
 */
export async function dnsperf(port: number, file: string, clients: number, seconds: number): Promise<DnsperfResult> {
  const { stdout } = await promisify(execFile)("dnsperf", args(port, file, clients, seconds), { maxBuffer: 1 << 20 });
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const lost = Number(/Queries lost:\s+(\d+)/.exec(stdout)?.[1] ?? NaN);
  const dir = await mkdtemp(join(tmpdir(), "kp-dnsperf-"));
  try {
    const output = join(dir, "verbose.txt");
    const out = await open(output, "w");
    try {
      const verbose = spawn("dnsperf", [...args(port, file, clients, Math.max(1, Math.round(seconds / 2))), "-v"], { stdio: ["ignore", out.fd, "ignore"] });
      await once(verbose, "exit");
    } finally {
      await out.close();
    }
    const latencies: number[] = [];
    const lines = createInterface({ input: createReadStream(output) });
    for await (const line of lines) {
      // "> NOERROR name A 0.000123"
      if (line.startsWith("> ")) latencies.push(Number(line.slice(line.lastIndexOf(" ") + 1)) * 1000);
    }
    const sorted = Float64Array.from(latencies).sort();
    return { queriesPerSec: Math.round(qps), lost, p50Ms: Number(percentile(sorted, 50).toFixed(3)), p99Ms: Number(percentile(sorted, 99).toFixed(3)) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
