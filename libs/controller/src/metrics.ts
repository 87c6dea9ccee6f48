// Controller and work queue metrics, named as controller-runtime and client-go name them.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { InformerMetrics } from "@kubeplane/client";

export interface ControllerMetrics {
  reconcileTotal: Counter<"controller" | "result">;
  reconcileErrors: Counter<"controller">;
  reconcileTime: Histogram<"controller">;
  activeWorkers: Gauge<"controller">;
  queueDepth: Gauge<"name">;
  queueAdds: Counter<"name">;
  queueRetries: Counter<"name">;
  queueLatency: Histogram<"name">;
  workDuration: Histogram<"name">;
  leader: Gauge<"name">;
  /** The informers' metrics (watch consumer creation and replacement, failures, synced), for the SharedInformerFactory. */
  informers: InformerMetrics;
}

const cache = new WeakMap<Registry, ControllerMetrics>();

/** The metrics, registered once per registry (every controller of a process shares them, by label). */
export function controllerMetrics(registry: Registry): ControllerMetrics {
  const found = cache.get(registry);
  if (found) return found;
  const registers = [registry];
  const metrics: ControllerMetrics = {
    reconcileTotal: new Counter({ name: "controller_runtime_reconcile_total", help: "Total number of reconciliations per controller", labelNames: ["controller", "result"], registers }),
    reconcileErrors: new Counter({ name: "controller_runtime_reconcile_errors_total", help: "Total number of reconciliation errors per controller", labelNames: ["controller"], registers }),
    reconcileTime: new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller",
      labelNames: ["controller"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    activeWorkers: new Gauge({ name: "controller_runtime_active_workers", help: "Number of currently used workers per controller", labelNames: ["controller"], registers }),
    queueDepth: new Gauge({ name: "workqueue_depth", help: "Current depth of workqueue", labelNames: ["name"], registers }),
    queueAdds: new Counter({ name: "workqueue_adds_total", help: "Total number of adds handled by workqueue", labelNames: ["name"], registers }),
    queueRetries: new Counter({ name: "workqueue_retries_total", help: "Total number of retries handled by workqueue", labelNames: ["name"], registers }),
    queueLatency: new Histogram({
      name: "workqueue_queue_duration_seconds",
      help: "How long in seconds an item stays in workqueue before being requested",
      labelNames: ["name"],
      buckets: [0.0001, 0.001, 0.01, 0.1, 1, 10, 100],
      registers,
    }),
    workDuration: new Histogram({
      name: "workqueue_work_duration_seconds",
      help: "How long in seconds processing an item from workqueue takes.",
      labelNames: ["name"],
      buckets: [0.0001, 0.001, 0.01, 0.1, 1, 10, 100],
      registers,
    }),
    leader: new Gauge({ name: "leader_election_master_status", help: "1 while this process leads, 0 otherwise", labelNames: ["name"], registers }),
    informers: informerMetrics(registers),
  };
  cache.set(registry, metrics);
  return metrics;
}

/** Informer metrics (no client-go counterpart exists for the JetStream consumer behind a watch). */
function informerMetrics(registers: Registry[]): InformerMetrics {
  const creations = new Counter({
    name: "kubeplane_informer_watch_consumer_creations_total",
    help: "Creation attempts of informers' JetStream watch consumers, by result (created, timeout, error)",
    labelNames: ["resource", "result"],
    registers,
  });
  const recreations = new Counter({
    name: "kubeplane_informer_watch_consumer_recreations_total",
    help: "Informers' watch consumers replaced mid-stream, by reason (heartbeats-missed, delivery-gap, deleted, failed)",
    labelNames: ["resource", "reason"],
    registers,
  });
  const failures = new Counter({ name: "kubeplane_informer_watch_failures_total", help: "Informers' failed watch-and-list attempts, by error", labelNames: ["resource", "reason"], registers });
  const synced = new Gauge({ name: "kubeplane_informer_synced", help: "1 once an informer's cache has synced (its first list), 0 before", labelNames: ["resource"], registers });
  return {
    consumerCreation: (resource, result) => creations.inc({ resource, result }),
    consumerRecreated: (resource, reason) => recreations.inc({ resource, reason }),
    watchFailure: (resource, reason) => failures.inc({ resource, reason }),
    synced: (resource, value) => synced.set({ resource }, value ? 1 : 0),
  };
}
