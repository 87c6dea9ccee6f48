// Request counts per label set, kept in plain numbers and moved into the request metrics in one call per label set.
import { addObservations } from "@kubeplane/service-kit";
import type { LabelValues } from "prom-client";
import { REQUEST_DURATION_BUCKETS, type IngressMetrics, type RequestLabels } from "./metrics.js";

/** Requests of one (namespace, ingress, service, status) counted since the last flush. */
export interface PendingCounts {
  requestLabels: LabelValues<RequestLabels | "status">;
  durationLabels: LabelValues<RequestLabels>;
  failureLabels: LabelValues<"namespace" | "service">;
  requests: number;
  failures: number;
  /** Durations per bucket of REQUEST_DURATION_BUCKETS (the last: above every bound), and their sum. */
  perBucket: Float64Array;
  seconds: number;
}

/**
 * Counts per label set, flushed into `ingress_controller_requests_total` and friends. prom-client
 * hashes and validates the labels on every `inc`/`observe`, so the hot path adds to plain numbers
 * and prom-client is called once per label set and flush.
 */
export class RequestCounts {
  private readonly pending = new Map<string, PendingCounts>();

  /** The counts of one label set (created empty on first use; "" labels mean no route matched). */
  countsFor(namespace: string, ingress: string, service: string, status: string): PendingCounts {
    const key = `${namespace} ${ingress} ${service} ${status}`;
    let counts = this.pending.get(key);
    if (!counts) {
      const labels = { ingress, namespace, service };
      counts = {
        requestLabels: { ...labels, status },
        durationLabels: labels,
        failureLabels: { namespace, service },
        requests: 0,
        failures: 0,
        perBucket: new Float64Array(REQUEST_DURATION_BUCKETS.length + 1),
        seconds: 0,
      };
      this.pending.set(key, counts);
    }
    return counts;
  }

  /** Moves the counts so far into the request metrics. */
  flushInto(metrics: IngressMetrics): void {
    for (const counts of this.pending.values()) {
      if (counts.requests === 0 && counts.failures === 0) continue;
      if (counts.requests > 0) metrics.requests.inc(counts.requestLabels, counts.requests);
      addObservations(metrics.requestDuration, counts.durationLabels, REQUEST_DURATION_BUCKETS, counts.perBucket, counts.seconds, counts.requests);
      if (counts.failures > 0) metrics.connectFailures.inc(counts.failureLabels, counts.failures);
      counts.requests = 0;
      counts.failures = 0;
      counts.perBucket.fill(0);
      counts.seconds = 0;
    }
  }
}
