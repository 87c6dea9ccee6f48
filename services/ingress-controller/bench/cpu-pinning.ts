// Which CPUs the ingress bench's load generator and data planes run on (taskset), and the check that they do.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

/** CPU lists (taskset's `-c` syntax) for `ab` and for both data planes (each nginx, the backends, the controller); undefined: not pinned. */
export interface CpuPlan {
  loadGenerator?: string;
  dataPlane?: string;
}

/** The pids of a process's children (from /proc/PID/task/PID/children). */
export async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, "utf8").catch(() => "");
  return text.split(" ").filter((s) => s.trim() !== "").map(Number);
}

/** The CPUs a process may run on (`Cpus_allowed_list` of /proc/PID/status). */
export async function allowedCpus(pid: number | "self"): Promise<string> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] ?? "";
}

/** Expands "0-2,5" to [0, 1, 2, 5]. */
function expand(list: string): number[] {
  return list.split(",").flatMap((part) => {
    const [from, to] = part.split("-").map(Number) as [number, number | undefined];
    return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
  });
}

/**
 * The plan from `KP_INGRESS_BENCH_CPUS`: "LOAD/DATA" (e.g. "0/1", "0-1/2-3"), or "none" for no
 * pinning. Unset: with two or more allowed CPUs, `ab` on the first and the data planes on the
 * second (the rest stay free); with one, none.
 */
export async function cpuPlan(raw: string | undefined): Promise<CpuPlan> {
  if (raw === "none") return {};
  if (raw !== undefined && raw !== "") {
    const m = /^([\d,-]+)\/([\d,-]+)$/.exec(raw);
    if (m === null) throw new Error(`KP_INGRESS_BENCH_CPUS=${raw}: expected LOAD/DATA (taskset CPU lists) or none`);
    return { loadGenerator: m[1], dataPlane: m[2] };
  }
  const cpus = expand(await allowedCpus("self"));
  return cpus.length >= 2 ? { loadGenerator: String(cpus[0]), dataPlane: String(cpus[1]) } : {};
}

/** `command args` prefixed with `taskset -c cpus` when cpus is set. */
export function pinned(cpus: string | undefined, command: string, args: string[]): [string, string[]] {
  return cpus === undefined ? [command, args] : ["taskset", ["-c", cpus, command, ...args]];
}

/** Moves a running process, all its threads and its children's (nginx's workers) to `cpus`; processes they fork later inherit it. */
export async function pinProcessTree(pid: number, cpus: string): Promise<void> {
  for (const p of [pid, ...(await childrenOf(pid))]) await promisify(execFile)("taskset", ["-a", "-p", "-c", cpus, String(p)]);
}

/** Throws unless every pid and its children may run on exactly `cpus`. */
export async function checkPinned(pids: number[], cpus: string): Promise<void> {
  const want = expand(cpus).join(",");
  for (const pid of pids) {
    for (const p of [pid, ...(await childrenOf(pid))]) {
      const got = await allowedCpus(p).catch(() => "");
      if (got !== "" && expand(got).join(",") !== want) throw new Error(`pid ${p} runs on CPUs ${got}, the plan says ${cpus}`);
    }
  }
}

/** Busy and total jiffies of the CPUs in `cpus` (all CPUs when undefined), from /proc/stat. */
export async function cpuJiffies(cpus: string | undefined): Promise<{ busy: number; total: number }> {
  const wanted = cpus === undefined ? undefined : new Set(expand(cpus).map((c) => `cpu${c}`));
  let [busy, total] = [0, 0];
  for (const line of (await readFile("/proc/stat", "utf8")).split("\n")) {
    const [name, ...fields] = line.split(/\s+/);
    if (wanted === undefined ? name !== "cpu" : !wanted.has(name ?? "")) continue;
    // user nice system idle iowait irq softirq steal: idle and iowait are the idle part.
    const n = fields.slice(0, 8).map(Number);
    total += n.reduce((a, x) => a + x, 0);
    busy += n.reduce((a, x) => a + x, 0) - n[3]! - n[4]!;
  }
  return { busy, total };
}
