// Reads the node's cumulative CPU time and memory working set from procfs (what cAdvisor reports for the root cgroup).
import { readFile } from "node:fs/promises";
import type { UsageSample } from "./usage-sampler.js";

/** Takes one reading of the node's usage. Rejects when procfs cannot be read. */
export type NodeUsageSource = () => Promise<UsageSample>;

/** USER_HZ: the unit of /proc/stat (100 on every Linux architecture Node runs on). */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time of every core except idle and iowait, in nanoseconds, from /proc/stat's `cpu` line. */
export function parseProcStatCpuNanos(procStat: string): number {
  const line = procStat.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) throw new Error("/proc/stat has no aggregate cpu line");
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = [user, nice, system, irq, softirq, steal].reduce<number>((sum, v) => sum + (v ?? 0), 0);
  return (busy / CLOCK_TICKS_PER_SECOND) * 1e9;
}

/** MemTotal minus MemAvailable from /proc/meminfo, in bytes: the memory the node cannot reclaim. */
export function parseMeminfoWorkingSet(meminfo: string): number {
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(meminfo)?.[1] ?? NaN);
  const total = kib("MemTotal");
  const available = kib("MemAvailable");
  if (Number.isNaN(total) || Number.isNaN(available)) throw new Error("/proc/meminfo lacks MemTotal or MemAvailable");
  return (total - available) * 1024;
}

/** The node's usage from /proc (the host's, as the kubelet runs outside any container). */
export const procNodeUsage: NodeUsageSource = async () => {
  const [procStat, meminfo] = await Promise.all([readFile("/proc/stat", "utf8"), readFile("/proc/meminfo", "utf8")]);
  return {
    timestampNanos: Date.now() * 1e6,
    cpuUsageCoreNanoSeconds: parseProcStatCpuNanos(procStat),
    memoryWorkingSetBytes: parseMeminfoWorkingSet(meminfo),
  };
};
