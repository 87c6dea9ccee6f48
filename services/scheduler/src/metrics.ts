// The scheduler's metrics, named as kube-scheduler names them.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface SchedulerMetrics {
  /** result: scheduled | unschedulable | error. */
  scheduleAttempts: Counter<"result" | "profile">;
  /** One scheduling attempt, from pop to the end of the scheduling cycle (binding excluded). */
  attemptDuration: Histogram<"result" | "profile">;
  /** From first being queued to bound (kube-scheduler's pod_scheduling_sli_duration_seconds). */
  podSchedulingDuration: Histogram<"attempts">;
  extensionPointDuration: Histogram<"extension_point" | "status" | "profile">;
  /** One plugin at one extension point, in a sample of cycles (kube-scheduler samples 10%). */
  pluginExecutionDuration: Histogram<"plugin" | "extension_point" | "status">;
  pendingPods: Gauge<"queue">;
  preemptionVictims: Histogram;
  preemptionAttempts: Counter;
  eventsDropped: Counter;
  /** Pods with a scheduling signature: result hit (placed from a batch) or miss (full cycle). */
  batchAttempts: Counter<"result">;
  leader: Gauge;
}

const buckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function schedulerMetrics(registry: Registry): SchedulerMetrics {
  const registers = [registry];
  return {
    scheduleAttempts: new Counter({
      name: "scheduler_schedule_attempts_total",
      help: "Number of attempts to schedule pods, by the result and profile",
      labelNames: ["result", "profile"],
      registers,
    }),
    attemptDuration: new Histogram({
      name: "scheduler_scheduling_attempt_duration_seconds",
      help: "Scheduling attempt latency in seconds (scheduling algorithm + binding start)",
      labelNames: ["result", "profile"],
      buckets,
      registers,
    }),
    podSchedulingDuration: new Histogram({
      name: "scheduler_pod_scheduling_sli_duration_seconds",
      help: "E2e latency for a pod being scheduled, from the time the pod enters the queue",
      labelNames: ["attempts"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    extensionPointDuration: new Histogram({
      name: "scheduler_framework_extension_point_duration_seconds",
      help: "Latency for running all plugins of a specific extension point",
      labelNames: ["extension_point", "status", "profile"],
      buckets,
      registers,
    }),
    pluginExecutionDuration: new Histogram({
      name: "scheduler_plugin_execution_duration_seconds",
      help: "Duration for running a plugin at a specific extension point",
      labelNames: ["plugin", "extension_point", "status"],
      // kube-scheduler's: exponential from 10µs by 1.5, 20 buckets.
      buckets: Array.from({ length: 20 }, (_, i) => 0.00001 * 1.5 ** i),
      registers,
    }),
    pendingPods: new Gauge({ name: "scheduler_pending_pods", help: "Number of pending pods, by the queue type", labelNames: ["queue"], registers }),
    preemptionVictims: new Histogram({
      name: "scheduler_preemption_victims",
      help: "Number of selected preemption victims",
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers,
    }),
    preemptionAttempts: new Counter({ name: "scheduler_preemption_attempts_total", help: "Total preemption attempts in the cluster till now", registers }),
    eventsDropped: new Counter({
      name: "scheduler_events_dropped_total",
      help: "Events not recorded: 1000 were already waiting to be written (binds go first), or their pod exceeded the spam filter",
      registers,
    }),
    batchAttempts: new Counter({
      name: "scheduler_opportunistic_batch_attempts_total",
      help: "Pods with a scheduling signature, by whether a previous cycle's nodes placed them (hit) or they ran a full cycle (miss)",
      labelNames: ["result"],
      registers,
    }),
    leader: new Gauge({ name: "leader_election_master_status", help: "1 while this replica holds the kube-scheduler lease", registers }),
  };
}
