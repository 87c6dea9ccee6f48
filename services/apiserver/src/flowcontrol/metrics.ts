// API Priority and Fairness' metrics, named as kube-apiserver's (apiserver_flowcontrol_*), and the watch cap's.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { FlowObserver, RejectReason } from "./fair-queue.js";

/** The flow controller's observer, the nominal seats gauge and the watch cap's counter, registered on `registry`. */
export interface FlowControlMetrics {
  observer: FlowObserver;
  nominalLimitSeats: Gauge<"priority_level">;
  watchCapRejected: Counter<"user_kind">;
  currentWatches: Gauge<"user_kind">;
}

export function createFlowControlMetrics(registry: Registry): FlowControlMetrics {
  const inQueue = new Gauge({
    name: "apiserver_flowcontrol_current_inqueue_requests",
    help: "Number of requests currently pending in queues of the API Priority and Fairness subsystem",
    labelNames: ["priority_level", "flow_schema"],
    registers: [registry],
  });
  const executing = new Gauge({
    name: "apiserver_flowcontrol_current_executing_requests",
    help: "Number of requests in initial (for a WATCH) or any (for a non-WATCH) execution stage in the API Priority and Fairness subsystem",
    labelNames: ["priority_level", "flow_schema"],
    registers: [registry],
  });
  const rejected = new Counter({
    name: "apiserver_flowcontrol_rejected_requests_total",
    help: "Number of requests rejected by API Priority and Fairness subsystem",
    labelNames: ["priority_level", "flow_schema", "reason"],
    registers: [registry],
  });
  const dispatched = new Counter({
    name: "apiserver_flowcontrol_dispatched_requests_total",
    help: "Number of requests executed by API Priority and Fairness subsystem",
    labelNames: ["priority_level", "flow_schema"],
    registers: [registry],
  });
  const wait = new Histogram({
    name: "apiserver_flowcontrol_request_wait_duration_seconds",
    help: "Length of time a request spent waiting in its queue",
    labelNames: ["priority_level", "flow_schema", "execute"],
    buckets: [0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30],
    registers: [registry],
  });
  const observer: FlowObserver = {
    queued: (level, schema, delta) => inQueue.inc({ priority_level: level, flow_schema: schema }, delta),
    executing: (level, schema, delta) => {
      executing.inc({ priority_level: level, flow_schema: schema }, delta);
      if (delta > 0) dispatched.inc({ priority_level: level, flow_schema: schema });
    },
    waited: (level, schema, seconds, executed) => wait.observe({ priority_level: level, flow_schema: schema, execute: String(executed) }, seconds),
    rejected: (level, schema, reason: RejectReason) => rejected.inc({ priority_level: level, flow_schema: schema, reason }),
  };
  return {
    observer,
    nominalLimitSeats: new Gauge({
      name: "apiserver_flowcontrol_nominal_limit_seats",
      help: "Nominal number of execution seats configured for each priority level",
      labelNames: ["priority_level"],
      registers: [registry],
    }),
    watchCapRejected: new Counter({
      name: "apiserver_watch_cap_rejected_requests_total",
      help: "Watches refused with TooManyRequests because their user already held its cap of concurrent watches (user_kind: system or user).",
      labelNames: ["user_kind"],
      registers: [registry],
    }),
    currentWatches: new Gauge({
      name: "apiserver_watch_cap_current_watches",
      help: "Watches currently counted against the per-user caps (user_kind: system or user).",
      labelNames: ["user_kind"],
      registers: [registry],
    }),
  };
}
