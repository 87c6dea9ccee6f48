// The kubelet's resource metrics (as its /metrics/resource names them), from each stats sample:
// cumulative CPU seconds and working-set memory per container and for the node.
import { Gauge, type Registry } from "prom-client";
import type { kubeletV1 } from "@kubeplane/api";

export interface ResourceMetrics {
  /** Replaces every series with those of this sample (containers that went disappear). */
  record(sample: kubeletV1.StatsResponse): void;
}

export function resourceMetrics(registry: Registry): ResourceMetrics {
  const registers = [registry];
  const labelNames = ["namespace", "pod", "container"] as const;
  const containerCpu = new Gauge({ name: "container_cpu_usage_seconds_total", help: "Cumulative cpu time consumed by the container in core-seconds", labelNames, registers });
  const containerMemory = new Gauge({ name: "container_memory_working_set_bytes", help: "Current working set of the container in bytes", labelNames, registers });
  const nodeCpu = new Gauge({ name: "node_cpu_usage_seconds_total", help: "Cumulative cpu time consumed by the node in core-seconds", registers });
  const nodeMemory = new Gauge({ name: "node_memory_working_set_bytes", help: "Current working set of the node in bytes", registers });
  return {
    record(sample) {
      containerCpu.reset();
      containerMemory.reset();
      for (const pod of sample.pods) {
        for (const c of pod.containers) {
          const labels = { namespace: pod.podRef?.namespace ?? "", pod: pod.podRef?.name ?? "", container: c.name };
          containerCpu.set(labels, (c.cpu?.usageCoreNanoSeconds ?? 0) / 1e9);
          containerMemory.set(labels, c.memory?.workingSetBytes ?? 0);
        }
      }
      nodeCpu.set((sample.node?.cpu?.usageCoreNanoSeconds ?? 0) / 1e9);
      nodeMemory.set(sample.node?.memory?.workingSetBytes ?? 0);
    },
  };
}
