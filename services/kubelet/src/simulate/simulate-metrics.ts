// Metrics of simulated mode, named after the kubelet's (summed over the simulated nodes).
import { Histogram, type Gauge, type Registry } from "prom-client";
import { gauge } from "../node/node-metrics.js";

/** Simulated mode's metrics. */
export interface SimulateMetrics {
  /** kubelet_node_name{node}: 1 per simulated node. */
  nodeName: Gauge<"node">;
  /** kubelet_running_pods: pods reported Running on the simulated nodes. */
  runningPods: Gauge<string>;
  /** kubelet_pod_start_duration_seconds: from first seeing a bound pod to reporting it Running. */
  podStartSeconds: Histogram<string>;
  /** kubelet_pod_start_sli_duration_seconds: the same (a simulated node pulls no images). */
  podStartSliSeconds: Histogram<string>;
}

export function simulateMetrics(registry: Registry): SimulateMetrics {
  const existing = registry.getSingleMetric("kubelet_pod_start_duration_seconds") as Histogram<string> | undefined;
  const existingSli = registry.getSingleMetric("kubelet_pod_start_sli_duration_seconds") as Histogram<string> | undefined;
  return {
    nodeName: gauge(registry, "kubelet_node_name", "The node's name. The count is always 1.", ["node"]),
    runningPods: gauge(registry, "kubelet_running_pods", "Number of pods that have a running pod sandbox", []),
    podStartSeconds:
      existing ??
      new Histogram({
        name: "kubelet_pod_start_duration_seconds",
        help: "Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run",
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [registry],
      }),
    podStartSliSeconds:
      existingSli ??
      new Histogram({
        name: "kubelet_pod_start_sli_duration_seconds",
        help: "Duration in seconds to start a pod, excluding time to pull images (a simulated node pulls none)",
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [registry],
      }),
  };
}
