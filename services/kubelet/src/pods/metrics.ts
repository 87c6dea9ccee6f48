// The kubelet's pod and runtime metrics, named as the kubelet names them.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { RuntimeService } from "../runtime/types.js";

export interface KubeletMetrics {
  /** From the kubelet first seeing a pod to it running (kubelet_pod_start_duration_seconds). */
  podStartDuration: Histogram;
  /** The same without the time spent pulling images (kubelet_pod_start_sli_duration_seconds). */
  podStartSliDuration: Histogram;
  /** One pod sync pass (kubelet_pod_worker_duration_seconds). */
  syncDuration: Histogram;
  /** A pod's first start, by phase (see startup-trace.ts): where the start time goes. */
  podStartPhase: Histogram<"phase">;
  /** Seen → a pod worker starts its first sync (kubelet_pod_worker_start_duration_seconds). */
  podWorkerStartDuration: Histogram;
  /** One RunPodSandbox, CNI ADD included (kubelet_run_podsandbox_duration_seconds). */
  runPodSandboxDuration: Histogram<"runtime_handler">;
  /** A status change computed → accepted by the apiserver (kubelet_pod_status_sync_duration_seconds). */
  podStatusSyncDuration: Histogram;
  runningPods: Gauge;
  runningContainers: Gauge;
  runtimeOperations: Histogram<"operation_type">;
  runtimeErrors: Counter<"operation_type">;
  probes: Counter<"probe_type" | "result">;
}

export function kubeletMetrics(registry: Registry): KubeletMetrics {
  const registers = [registry];
  return {
    podStartDuration: new Histogram({
      name: "kubelet_pod_start_duration_seconds",
      help: "Duration in seconds from the kubelet seeing a pod for the first time to the pod starting to run",
      buckets: [0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120],
      registers,
    }),
    podStartSliDuration: new Histogram({
      name: "kubelet_pod_start_sli_duration_seconds",
      help: "Duration in seconds to start a pod, excluding time to pull images, from the kubelet seeing it for the first time to it running",
      buckets: [0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120],
      registers,
    }),
    syncDuration: new Histogram({
      name: "kubelet_pod_worker_duration_seconds",
      help: "Duration in seconds to sync a single pod",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    podStartPhase: new Histogram({
      name: "kubelet_pod_start_phase_duration_seconds",
      help: "Duration in seconds of each phase of a pod's first start (worker_start, volumes, sandbox, image, container_create, container_start, runtime_state, status_write)",
      labelNames: ["phase"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16],
      registers,
    }),
    podWorkerStartDuration: new Histogram({
      name: "kubelet_pod_worker_start_duration_seconds",
      help: "Duration in seconds from kubelet seeing a pod to starting a worker",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    runPodSandboxDuration: new Histogram({
      name: "kubelet_run_podsandbox_duration_seconds",
      help: "Duration in seconds of the run_podsandbox operations. Broken down by RuntimeClass.Handler",
      labelNames: ["runtime_handler"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    podStatusSyncDuration: new Histogram({
      name: "kubelet_pod_status_sync_duration_seconds",
      help: "Duration in seconds to sync a pod status update. Measures time from detection of a change to pod status until the API is successfully updated for that pod, even if multiple intevening changes to pod status occur",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    runningPods: new Gauge({ name: "kubelet_running_pods", help: "Number of pods that have a running pod sandbox", registers }),
    runningContainers: new Gauge({ name: "kubelet_running_containers", help: "Number of containers currently running", registers }),
    runtimeOperations: new Histogram({
      name: "kubelet_runtime_operations_duration_seconds",
      help: "Duration in seconds of runtime operations, by operation type",
      labelNames: ["operation_type"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    runtimeErrors: new Counter({
      name: "kubelet_runtime_operations_errors_total",
      help: "Cumulative number of runtime operation errors by operation type",
      labelNames: ["operation_type"],
      registers,
    }),
    probes: new Counter({ name: "prober_probe_total", help: "Cumulative number of a liveness, readiness or startup probe for a container by result", labelNames: ["probe_type", "result"], registers }),
  };
}

/** Wraps a runtime so every call is timed and its errors counted, by operation (the method's name). */
export function instrumentRuntime(runtime: RuntimeService, metrics: KubeletMetrics): RuntimeService {
  return new Proxy(runtime, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function") return value;
      const op = String(prop);
      return async (...args: unknown[]) => {
        const end = metrics.runtimeOperations.startTimer({ operation_type: op });
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (err) {
          metrics.runtimeErrors.inc({ operation_type: op });
          throw err;
        } finally {
          end();
        }
      };
    },
  });
}
