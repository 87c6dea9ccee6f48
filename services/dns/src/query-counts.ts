// Per-query counters of the DNS server kept in plain numbers and moved into the Prometheus metrics at scrape.
import { addObservations, bucketIndex } from "@kubeplane/service-kit";
import type { Counter, Histogram, LabelValues } from "prom-client";
import { rcodeName, typeName } from "./resource-record.js";

/** The metrics QueryCounts flushes into, and the duration histogram's bucket bounds. */
export interface QueryMetrics {
  requests: Counter<"proto" | "type">;
  responses: Counter<"rcode">;
  duration: Histogram<"type">;
  durationBuckets: readonly number[];
}

interface PendingCount<L extends string> {
  labels: LabelValues<L>;
  n: number;
}

interface PendingDurations {
  labels: LabelValues<"type">;
  perBucket: Float64Array;
  seconds: number;
  n: number;
}

/**
 * Counts queries, responses and durations per label set in plain numbers: prom-client hashes and
 * validates the labels on every inc/observe, even through a labelled child, which was a large
 * share of a cached answer's CPU. `flush` (each of the three metrics' collect hook) moves the counts into
 * `coredns_dns_requests_total`, `coredns_dns_responses_total` and
 * `coredns_dns_request_duration_seconds`. Event-loop use only.
 */
export class QueryCounts {
  /** Keyed by `qtype` (UDP) or `qtype + 0x10000` (TCP); -1 is an unreadable question. */
  private readonly requests = new Map<number, PendingCount<"proto" | "type">>();
  private readonly responses = new Map<number, PendingCount<"rcode">>();
  private readonly durations = new Map<number, PendingDurations>();

  constructor(private readonly metrics: QueryMetrics) {}

  /** A query of `qtype` (-1: unreadable question) arrived over `proto`. */
  request(proto: "udp" | "tcp", qtype: number): void {
    const key = proto === "tcp" ? qtype + 0x10000 : qtype;
    let pending = this.requests.get(key);
    if (!pending) this.requests.set(key, (pending = { labels: { proto, type: qtype < 0 ? "other" : typeName(qtype) }, n: 0 }));
    pending.n++;
  }

  /** A response with `rcode` was sent; `seconds` after its query of `qtype` arrived (undefined: not timed). */
  response(rcode: number, qtype: number, seconds: number | undefined): void {
    let pending = this.responses.get(rcode);
    if (!pending) this.responses.set(rcode, (pending = { labels: { rcode: rcodeName(rcode) }, n: 0 }));
    pending.n++;
    if (seconds === undefined) return;
    let durations = this.durations.get(qtype);
    if (!durations) this.durations.set(qtype, (durations = { labels: { type: typeName(qtype) }, perBucket: new Float64Array(this.metrics.durationBuckets.length + 1), seconds: 0, n: 0 }));
    durations.perBucket[bucketIndex(this.metrics.durationBuckets, seconds)]!++;
    durations.seconds += seconds;
    durations.n++;
  }

  /** Moves the counts so far into the metrics. */
  flush(): void {
    const { metrics } = this;
    for (const p of this.requests.values()) {
      if (p.n > 0) metrics.requests.inc(p.labels, p.n);
      p.n = 0;
    }
    for (const p of this.responses.values()) {
      if (p.n > 0) metrics.responses.inc(p.labels, p.n);
      p.n = 0;
    }
    for (const d of this.durations.values()) {
      if (d.n === 0) continue;
      addObservations(metrics.duration, d.labels, metrics.durationBuckets, d.perBucket, d.seconds, d.n);
      d.perBucket.fill(0);
      d.seconds = 0;
      d.n = 0;
    }
  }
}
