// The dns service's Prometheus metrics, named after CoreDNS's.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { QueryCounts } from "./query-counts.js";

/** The metrics the DNS server updates; created once per registry. */
export interface DnsMetrics {
  /** coredns_dns_requests_total{proto,type}: queries received. */
  requests: Counter<"proto" | "type">;
  /** coredns_dns_responses_total{rcode}: responses sent. */
  responses: Counter<"rcode">;
  /** coredns_dns_request_duration_seconds{type}: receipt of a query to its response. */
  duration: Histogram<"type">;
  /** The query path's counts of the three above, moved into them at each scrape: count through this, not them. */
  queries: QueryCounts;
  /** coredns_forward_requests_total{to}: queries sent to an upstream. */
  forwardRequests: Counter<"to">;
  /** coredns_forward_responses_total{to,rcode}: answers relayed from an upstream. */
  forwardResponses: Counter<"to" | "rcode">;
  /** coredns_kubernetes_dns_records: resource records the index serves. */
  records: Gauge;
  /** coredns_kubernetes_services: Services indexed. */
  services: Gauge;
  /** coredns_kubernetes_dns_programming_duration_seconds: an EndpointSlice's last change to its records being served. */
  programming: Histogram;
}

/** Upper bounds of `coredns_dns_request_duration_seconds`'s buckets (CoreDNS's). */
export const DURATION_BUCKETS: readonly number[] = [0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096];

/** Registers the metrics in `registry`. Call once per registry. */
export function dnsMetrics(registry: Registry): DnsMetrics {
  // The per-query metrics are counted in plain numbers (QueryCounts) and flushed when read.
  const collect = { collect: (): void => queries.flush() };
  const requests = new Counter({ name: "coredns_dns_requests_total", help: "DNS queries received, by transport and query type.", labelNames: ["proto", "type"], registers: [registry], ...collect });
  const responses = new Counter({ name: "coredns_dns_responses_total", help: "DNS responses sent, by response code.", labelNames: ["rcode"], registers: [registry], ...collect });
  const duration = new Histogram({
    name: "coredns_dns_request_duration_seconds",
    help: "Time from a query's receipt to its response, by query type.",
    labelNames: ["type"],
    buckets: [...DURATION_BUCKETS],
    registers: [registry],
    ...collect,
  });
  const queries = new QueryCounts({ requests, responses, duration, durationBuckets: DURATION_BUCKETS });
  return {
    requests,
    responses,
    duration,
    queries,
    forwardRequests: new Counter({ name: "coredns_forward_requests_total", help: "Queries forwarded, by upstream.", labelNames: ["to"], registers: [registry] }),
    forwardResponses: new Counter({ name: "coredns_forward_responses_total", help: "Upstream answers relayed, by upstream and response code.", labelNames: ["to", "rcode"], registers: [registry] }),
    records: new Gauge({ name: "coredns_kubernetes_dns_records", help: "Resource records served from Services and EndpointSlices.", registers: [registry] }),
    services: new Gauge({ name: "coredns_kubernetes_services", help: "Services in the DNS index.", registers: [registry] }),
    programming: new Histogram({
      name: "coredns_kubernetes_dns_programming_duration_seconds",
      help: "From an EndpointSlice's endpoints.kubernetes.io/last-change-trigger-time to its records being served.",
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
  };
}
