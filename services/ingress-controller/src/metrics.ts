// The ingress controller's Prometheus metrics, named after ingress-nginx's (without its nginx_ prefix).
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Upper bounds of `ingress_controller_request_duration_seconds`'s buckets. */
export const REQUEST_DURATION_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Labels of a proxied request: the Ingress that routed it and its Service ("" when none matched). */
export type RequestLabels = "ingress" | "namespace" | "service";

/** The metrics the proxy and the sync loop update; created once per registry. */
export interface IngressMetrics {
  /** ingress_controller_requests_total{ingress,namespace,service,status}: requests answered, by HTTP status. */
  requests: Counter<RequestLabels | "status">;
  /** ingress_controller_request_duration_seconds{ingress,namespace,service}: request received to response finished. */
  requestDuration: Histogram<RequestLabels>;
  /** ingress_controller_upstream_connect_failures_total{namespace,service}: endpoints refused or timed out (each retried on the next). */
  connectFailures: Counter<"namespace" | "service">;
  /** ingress_controller_config_syncs_total: rebuilds of the routing table and certificates. */
  syncs: Counter;
  /** ingress_controller_config_sync_duration_seconds: one rebuild of routes and certificates. */
  syncDuration: Histogram;
  /** ingress_controller_config_last_sync_timestamp_seconds: when the served configuration last changed. */
  lastSync: Gauge;
  /** ingress_controller_ingresses: Ingresses of this controller's class. */
  ingresses: Gauge;
  /** ingress_controller_routes: host/path rules served. */
  routes: Gauge;
  /** ingress_controller_ssl_certificates: TLS hosts with a certificate from a Secret. */
  certificates: Gauge;
  /** ingress_controller_config_reloads_total{result}: nginx reloads (success) and configurations nginx refused (failure). */
  reloads: Counter<"result">;
  /** ingress_controller_config_last_reload_successful: 1 when the last rendered configuration was applied (ingress-nginx's name). */
  lastReloadSuccessful: Gauge;
}

/**
 * Registers the metrics in `registry`. Call once per registry. `beforeRequestCollect`, when given,
 * is awaited before the per-request metrics are read (the nginx data plane's access log lag).
 */
export function ingressMetrics(registry: Registry, beforeRequestCollect?: () => Promise<void>): IngressMetrics {
  const registers = [registry];
  const collect = beforeRequestCollect ? { collect: beforeRequestCollect } : {};
  return {
    requests: new Counter({
      name: "ingress_controller_requests_total",
      help: "Requests proxied or answered, by Ingress, namespace, Service and HTTP status.",
      labelNames: ["ingress", "namespace", "service", "status"],
      registers,
      ...collect,
    }),
    requestDuration: new Histogram({
      name: "ingress_controller_request_duration_seconds",
      help: "Time from a request's arrival to the end of its response, by Ingress, namespace and Service.",
      labelNames: ["ingress", "namespace", "service"],
      buckets: [...REQUEST_DURATION_BUCKETS],
      registers,
      ...collect,
    }),
    connectFailures: new Counter({
      name: "ingress_controller_upstream_connect_failures_total",
      help: "Connections to an endpoint refused or timed out; the request moves to the next endpoint.",
      labelNames: ["namespace", "service"],
      registers,
      ...collect,
    }),
    syncs: new Counter({ name: "ingress_controller_config_syncs_total", help: "Rebuilds of the routing table and certificates.", registers }),
    syncDuration: new Histogram({
      name: "ingress_controller_config_sync_duration_seconds",
      help: "Time to rebuild the routing table and certificate set from the caches.",
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    }),
    lastSync: new Gauge({ name: "ingress_controller_config_last_sync_timestamp_seconds", help: "When the served configuration last changed (Unix seconds).", registers }),
    ingresses: new Gauge({ name: "ingress_controller_ingresses", help: "Ingresses of this controller's class.", registers }),
    routes: new Gauge({ name: "ingress_controller_routes", help: "Host/path rules served.", registers }),
    certificates: new Gauge({ name: "ingress_controller_ssl_certificates", help: "TLS hosts served with a certificate from a Secret.", registers }),
    reloads: new Counter({
      name: "ingress_controller_config_reloads_total",
      help: "nginx configuration reloads (result=success) and rendered configurations nginx refused (result=failure).",
      labelNames: ["result"],
      registers,
    }),
    lastReloadSuccessful: new Gauge({ name: "ingress_controller_config_last_reload_successful", help: "1 when nginx accepted the last rendered configuration.", registers }),
  };
}
