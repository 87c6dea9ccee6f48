// The apiserver's Prometheus metrics, named like kube-apiserver's so its dashboards apply.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface ApiserverMetrics {
  requests: Counter<"verb" | "group" | "version" | "resource" | "subresource" | "scope" | "component" | "code">;
  requestDuration: Histogram<"verb" | "group" | "version" | "resource" | "subresource" | "scope" | "component">;
  etcdRequestDuration: Histogram<"operation" | "type">;
  /** Writes per etcd txn sent by the store's group commit (one sample per txn). */
  groupCommitBatchSize: Histogram;
  watchEventsPublished: Counter<"resource" | "type">;
  publishLag: Histogram;
  publishedRevision: Gauge;
  registeredWatchers: Gauge<"group" | "version" | "resource">;
  /** Watch events sent to gRPC watchers (kube-apiserver's apiserver_watch_events_total). */
  watchEventsSent: Counter<"group" | "version" | "resource">;
  /** Unary requests being served, by request_kind readOnly|mutating (kube-apiserver's max-in-flight gauge). */
  inflight: Gauge<"request_kind">;
  isLeader: Gauge;
  /** Values encrypted and decrypted, by envelope (`k8s:enc:aesgcm:v1:<key>:`, identity) and outcome, as kube-apiserver's. */
  transformations: Counter<"transformation_type" | "transformer_prefix" | "status">;
}

export function createApiserverMetrics(registry: Registry): ApiserverMetrics {
  return {
    requests: new Counter({
      name: "apiserver_request_total",
      help: "Counter of apiserver requests broken out for each verb, group, version, resource, scope, component and response code.",
      labelNames: ["verb", "group", "version", "resource", "subresource", "scope", "component", "code"],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: "apiserver_request_duration_seconds",
      help: "Response latency distribution in seconds for each verb, group, version, resource, subresource, scope and component.",
      labelNames: ["verb", "group", "version", "resource", "subresource", "scope", "component"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60],
      registers: [registry],
    }),
    etcdRequestDuration: new Histogram({
      name: "etcd_request_duration_seconds",
      help: "Etcd request latency in seconds for each operation and object type.",
      labelNames: ["operation", "type"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    groupCommitBatchSize: new Histogram({
      name: "apiserver_storage_group_commit_batch_size",
      help: "Writes committed together in one etcd txn by the storage group commit, one sample per txn.",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers: [registry],
    }),
    watchEventsPublished: new Counter({
      name: "apiserver_watch_events_published_total",
      help: "Watch events published to NATS JetStream, by resource and event type.",
      labelNames: ["resource", "type"],
      registers: [registry],
    }),
    publishLag: new Histogram({
      name: "apiserver_watch_publish_lag_seconds",
      help: "Seconds from the watch publisher receiving a committed change from etcd to JetStream acknowledging all its messages.",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    publishedRevision: new Gauge({
      name: "apiserver_watch_published_revision",
      help: "The resourceVersion (etcd revision × 128 + ordinal) of the last watch event JetStream acknowledged (on the publishing replica).",
      registers: [registry],
    }),
    registeredWatchers: new Gauge({
      name: "apiserver_registered_watchers",
      help: "Number of currently open gRPC watches for a given resource.",
      labelNames: ["group", "version", "resource"],
      registers: [registry],
    }),
    watchEventsSent: new Counter({
      name: "apiserver_watch_events_total",
      help: "Number of events sent in watch clients",
      labelNames: ["group", "version", "resource"],
      registers: [registry],
    }),
    inflight: new Gauge({
      name: "apiserver_current_inflight_requests",
      help: "Number of requests being served, per request kind (readOnly: get, list; mutating: the rest).",
      labelNames: ["request_kind"],
      registers: [registry],
    }),
    isLeader: new Gauge({
      name: "apiserver_watch_publisher_leader",
      help: "1 while this replica leads and publishes watch events, else 0.",
      registers: [registry],
    }),
    transformations: new Counter({
      name: "apiserver_storage_transformation_operations_total",
      help: "Total number of transformations of stored values (encryption at rest), by direction, envelope prefix (which key) and status.",
      labelNames: ["transformation_type", "transformer_prefix", "status"],
      registers: [registry],
    }),
  };
}
