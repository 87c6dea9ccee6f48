// The apiserver's limits against overload: API Priority and Fairness (simplified) and per-user watch caps.
import type { Registry as MetricsRegistry } from "prom-client";
import { FlowController } from "./fair-queue.js";
import { createFlowControlMetrics } from "./metrics.js";
import { defaultPriorityLevels } from "./priority-levels.js";
import { WatchLimiter } from "./watch-limits.js";

export { FlowController, RequestRejectedError, type FlowObserver, type Release, type RejectReason } from "./fair-queue.js";
export { flowControlCalls, flowControlRefusal, longRunningMethods, type FlowControlDeps } from "./flow-control-calls.js";
export { classify, defaultFlowSchemas, defaultPriorityLevels, isControlPlaneUser, isSystemIdentity, type FlowSchema, type PriorityLevelSpec } from "./priority-levels.js";
export { WatchLimiter, type WatchCaps } from "./watch-limits.js";

/** The limits' settings (the apiserver's flags). */
export interface FlowControlConfig {
  /** Total seats; 0 turns API Priority and Fairness off. */
  maxRequestsInflight: number;
  /** Longest wait in a queue, in milliseconds. */
  flowControlQueueWait: number;
  /** Concurrent watches per ordinary user; 0: no cap. */
  maxWatchesPerUser: number;
  /** Concurrent watches per system identity (control plane, nodes, system:masters); 0: no cap. */
  maxWatchesPerSystemUser: number;
}

/** The flow controller (absent when turned off) and the watch limiter, their metrics on `metrics`. */
export function createFlowControl(config: FlowControlConfig, metrics: MetricsRegistry): { flowController?: FlowController; watchLimiter: WatchLimiter } {
  const m = createFlowControlMetrics(metrics);
  const watchLimiter = new WatchLimiter(
    { perUser: config.maxWatchesPerUser, perSystemUser: config.maxWatchesPerSystemUser },
    { current: (kind, delta) => m.currentWatches.inc({ user_kind: kind }, delta), rejected: (kind) => m.watchCapRejected.inc({ user_kind: kind }) },
  );
  if (config.maxRequestsInflight <= 0) return { watchLimiter };
  const flowController = new FlowController({
    serverConcurrencyLimit: config.maxRequestsInflight,
    queueWaitMs: config.flowControlQueueWait,
    levels: defaultPriorityLevels,
    observer: m.observer,
  });
  for (const [level, seats] of flowController.nominalSeats()) m.nominalLimitSeats.set({ priority_level: level }, seats);
  return { flowController, watchLimiter };
}
