// Resource usage from kubelet stats: CPU as a rate over the scrape window, memory as the working set, and the metrics.k8s.io objects built from them.
import { metricsV1beta1, type coreV1Node, type coreV1Pod, type kubeletV1 } from "@kubeplane/api";

/** One container's (or node's) usage as the metrics API reports it. */
export interface Usage {
  /** CPU in billionths of a core, averaged over the window. */
  nanoCores: number;
  workingSetBytes: number;
}

/** A node's usage and its pods' containers', from one scrape, with the window the CPU rates cover. */
export interface NodeUsage {
  nodeName: string;
  /** End of the window (the scrape's sample time). */
  timestamp: Date;
  windowMs: number;
  node: Usage | undefined;
  /** By pod uid: container name → usage; only pods whose every container has a CPU rate. */
  pods: Map<string, Map<string, Usage>>;
}

/** A cumulative CPU counter at a time: what the next scrape's rate is computed from. */
export interface CpuCounter {
  timeMs: number;
  coreNanoSeconds: number;
}

/**
 * The CPU rate between two readings of a cumulative counter, as metrics-server computes it; undefined
 * when there is no earlier reading, no time passed, or the counter went back (the container restarted).
 */
export function cpuRate(previous: CpuCounter | undefined, current: CpuCounter): number | undefined {
  if (!previous) return undefined;
  const seconds = (current.timeMs - previous.timeMs) / 1000;
  const used = current.coreNanoSeconds - previous.coreNanoSeconds;
  if (seconds <= 0 || used < 0) return undefined;
  return used / seconds;
}

/** The kubelet's sample time, or `fallback` when it sent none. */
function sampleTime(cpu: kubeletV1.CpuStats | undefined, fallback: number): number {
  const t = cpu?.time ? Date.parse(cpu.time) : NaN;
  return Number.isFinite(t) ? t : fallback;
}

/**
 * Turns one Summary into usage. `counters` holds the previous scrape's cumulative CPU counters (by
 * "node" or "<pod uid>/<container>") and is updated in place; a rate over the window between the two
 * scrapes is preferred, else the kubelet's own short-window usageNanoCores.
 */
export function usageFromSummary(nodeName: string, summary: kubeletV1.StatsResponse, counters: Map<string, CpuCounter>, scrapedAtMs: number, defaultWindowMs: number): NodeUsage {
  let windowMs = defaultWindowMs;
  const seen = new Set<string>();
  const cpuOf = (key: string, cpu: kubeletV1.CpuStats | undefined): number | undefined => {
    if (!cpu) return undefined;
    seen.add(key);
    const current = { timeMs: sampleTime(cpu, scrapedAtMs), coreNanoSeconds: cpu.usageCoreNanoSeconds };
    const previous = counters.get(key);
    counters.set(key, current);
    const rate = cpuRate(previous, current);
    if (rate !== undefined && previous) {
      windowMs = current.timeMs - previous.timeMs;
      return rate;
    }
    return cpu.usageNanoCores;
  };
  const usage = (key: string, cpu: kubeletV1.CpuStats | undefined, memory: kubeletV1.MemoryStats | undefined): Usage | undefined => {
    const nanoCores = cpuOf(key, cpu);
    return nanoCores === undefined ? undefined : { nanoCores, workingSetBytes: memory?.workingSetBytes ?? 0 };
  };
  const node = usage("node", summary.node?.cpu, summary.node?.memory);
  const pods = new Map<string, Map<string, Usage>>();
  for (const pod of summary.pods) {
    const uid = pod.podRef?.uid ?? "";
    if (!uid) continue;
    const containers = new Map<string, Usage>();
    let complete = pod.containers.length > 0;
    for (const c of pod.containers) {
      const u = usage(`${uid}/${c.name}`, c.cpu, c.memory);
      if (u) containers.set(c.name, u);
      else complete = false;
    }
    // metrics-server drops a pod with a container lacking metrics rather than under-report it.
    if (complete) pods.set(uid, containers);
  }
  for (const key of counters.keys()) if (!seen.has(key)) counters.delete(key);
  return { nodeName, timestamp: new Date(sampleTime(summary.node?.cpu, scrapedAtMs)), windowMs, node, pods };
}

/** A Go duration of whole-or-fractional seconds, as metav1.Duration prints a window ("15s", "10.5s"). */
export function goDuration(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/** CPU and memory as metrics-server writes them: nanocores ("1234n") and kibibytes ("2048Ki"). */
export function usageList(u: Usage): Record<string, string> {
  return { cpu: `${Math.round(u.nanoCores)}n`, memory: `${Math.floor(u.workingSetBytes / 1024)}Ki` };
}

const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, "Z");

/** The NodeMetrics of a node (its labels, so that a label selector applies as to the Node). */
export function nodeMetrics(node: coreV1Node.Node, usage: NodeUsage, now: Date): metricsV1beta1.NodeMetrics | undefined {
  if (!usage.node) return undefined;
  return metricsV1beta1.NodeMetrics.fromPartial({
    apiVersion: "metrics.k8s.io/v1beta1",
    kind: "NodeMetrics",
    metadata: { name: node.metadata?.name ?? "", labels: { ...node.metadata?.labels }, creationTimestamp: rfc3339(now) },
    timestamp: rfc3339(usage.timestamp),
    window: goDuration(usage.windowMs),
    usage: usageList(usage.node),
  });
}

/** The PodMetrics of a pod, in the order of its spec's containers; undefined when its node reported none. */
export function podMetrics(pod: coreV1Pod.Pod, usage: NodeUsage, now: Date): metricsV1beta1.PodMetrics | undefined {
  const containers = usage.pods.get(pod.metadata?.uid ?? "");
  if (!containers) return undefined;
  const order = new Map((pod.spec?.containers ?? []).map((c, i) => [c.name, i]));
  const entries = [...containers].sort(([a], [b]) => (order.get(a) ?? 1e9) - (order.get(b) ?? 1e9) || a.localeCompare(b));
  return metricsV1beta1.PodMetrics.fromPartial({
    apiVersion: "metrics.k8s.io/v1beta1",
    kind: "PodMetrics",
    metadata: { name: pod.metadata?.name ?? "", namespace: pod.metadata?.namespace ?? "", labels: { ...pod.metadata?.labels }, creationTimestamp: rfc3339(now) },
    timestamp: rfc3339(usage.timestamp),
    window: goDuration(usage.windowMs),
    containers: entries.map(([name, u]) => ({ name, usage: usageList(u) })),
  });
}
