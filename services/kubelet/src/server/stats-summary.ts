// Builds the Summary (node and per-pod container CPU and memory) that KubeletService.Stats serves and `kpctl top` prints.
import type { kubeletV1 } from "@kubeplane/api";
import { LABELS } from "../paths.js";
import type { ContainerStats, RuntimeService } from "../runtime/types.js";
import type { NodeUsageSource } from "./node-usage.js";
import { UsageSampler, type UsageRate } from "./usage-sampler.js";

const NODE_KEY = "\u0000node";

function cpuStats(rate: UsageRate): kubeletV1.CpuStats {
  return {
    time: new Date(rate.timestampNanos / 1e6).toISOString(),
    usageNanoCores: rate.usageNanoCores,
    usageCoreNanoSeconds: rate.cpuUsageCoreNanoSeconds,
  };
}

function memoryStats(rate: UsageRate): kubeletV1.MemoryStats {
  return { time: new Date(rate.timestampNanos / 1e6).toISOString(), workingSetBytes: rate.memoryWorkingSetBytes };
}

/** The latest attempt of each container of each pod, keyed by pod uid then container name. */
function latestByPod(stats: readonly ContainerStats[]): Map<string, { ref: kubeletV1.PodReference; containers: Map<string, ContainerStats> }> {
  const pods = new Map<string, { ref: kubeletV1.PodReference; containers: Map<string, ContainerStats> }>();
  for (const s of stats) {
    const uid = s.labels[LABELS.podUid];
    const name = s.labels[LABELS.podName];
    const namespace = s.labels[LABELS.podNamespace];
    if (!uid || !name || !namespace) continue; // not a pod's container
    const pod = pods.get(uid) ?? { ref: { name, namespace, uid }, containers: new Map() };
    pods.set(uid, pod);
    const container = s.labels[LABELS.containerName] || s.metadata.name;
    const seen = pod.containers.get(container);
    if (!seen || seen.metadata.attempt < s.metadata.attempt) pod.containers.set(container, s);
  }
  return pods;
}

/** What a StatsSummary reads. */
export interface StatsSummaryDeps {
  nodeName: string;
  runtime: Pick<RuntimeService, "listContainerStats">;
  nodeUsage: NodeUsageSource;
  /** Samples shorter apart than this are measured against an older one; default 1 s. */
  minWindowNanos?: number;
}

/**
 * The kubelet's Summary API. CPU rates come from the difference between the current cumulative
 * reading and one taken at least a window earlier, by this provider: the first call after start
 * reports no usageNanoCores (like metrics-server before its second scrape); `sample()` on a timer
 * (housekeeping) keeps a window ready. Overlapping calls are safe: each reading updates the sampler synchronously.
 */
export class StatsSummary {
  private readonly sampler: UsageSampler;

  constructor(private readonly deps: StatsSummaryDeps) {
    this.sampler = new UsageSampler(deps.minWindowNanos);
  }

  /** Takes a reading of every container and the node, and reports it. Rejects when the runtime or procfs fails. */
  async sample(): Promise<kubeletV1.StatsResponse> {
    const [stats, node] = await Promise.all([this.deps.runtime.listContainerStats(), this.deps.nodeUsage()]);
    const nodeRate = this.sampler.observe(NODE_KEY, node);
    const keys = new Set<string>([NODE_KEY]);
    const pods: kubeletV1.PodStats[] = [];
    for (const { ref, containers } of latestByPod(stats).values()) {
      const rates = [...containers].map(([name, s]) => {
        keys.add(s.id);
        return { name, rate: this.sampler.observe(s.id, { timestampNanos: s.timestamp, cpuUsageCoreNanoSeconds: s.cpuUsageCoreNanoSeconds, memoryWorkingSetBytes: s.memoryWorkingSetBytes }) };
      });
      rates.sort((a, b) => a.name.localeCompare(b.name));
      const sum: UsageRate = {
        timestampNanos: Math.max(...rates.map((r) => r.rate.timestampNanos)),
        cpuUsageCoreNanoSeconds: rates.reduce((t, r) => t + r.rate.cpuUsageCoreNanoSeconds, 0),
        memoryWorkingSetBytes: rates.reduce((t, r) => t + r.rate.memoryWorkingSetBytes, 0),
        usageNanoCores: rates.every((r) => r.rate.usageNanoCores !== undefined) ? rates.reduce((t, r) => t + r.rate.usageNanoCores!, 0) : undefined,
      };
      pods.push({
        podRef: ref,
        containers: rates.map(({ name, rate }) => ({ name, cpu: cpuStats(rate), memory: memoryStats(rate) })),
        cpu: cpuStats(sum),
        memory: memoryStats(sum),
      });
    }
    this.sampler.retain(keys);
    pods.sort((a, b) => `${a.podRef!.namespace}/${a.podRef!.name}`.localeCompare(`${b.podRef!.namespace}/${b.podRef!.name}`));
    return { node: { nodeName: this.deps.nodeName, cpu: cpuStats(nodeRate), memory: memoryStats(nodeRate) }, pods };
  }
}
