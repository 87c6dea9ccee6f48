// kube-proxy's metrics, named as upstream kube-proxy names them.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The metrics the proxier updates; one set per registry. */
export interface KubeProxyMetrics {
  syncDuration: Histogram;
  fullSyncDuration: Histogram;
  partialSyncDuration: Histogram;
  lastSyncTimestamp: Gauge;
  lastQueuedTimestamp: Gauge;
  serviceChanges: Counter;
  serviceChangesPending: Gauge;
  endpointChanges: Counter;
  endpointChangesPending: Gauge;
  syncFailures: Counter;
  nftablesObjects: Gauge<"kind">;
  lastTransactionCommands: Gauge<"sync">;
}

const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Registers kube-proxy's metrics on `registry`. */
export function kubeProxyMetrics(registry: Registry): KubeProxyMetrics {
  const registers = [registry];
  const histogram = (name: string, help: string): Histogram => new Histogram({ name, help, buckets, registers });
  return {
    syncDuration: histogram("kubeproxy_sync_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds"),
    fullSyncDuration: histogram("kubeproxy_sync_full_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds for full resyncs"),
    partialSyncDuration: histogram("kubeproxy_sync_partial_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds for partial resyncs"),
    lastSyncTimestamp: new Gauge({ name: "kubeproxy_sync_proxy_rules_last_timestamp_seconds", help: "The last time proxy rules were successfully synced", registers }),
    lastQueuedTimestamp: new Gauge({ name: "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds", help: "The last time a sync of proxy rules was queued", registers }),
    serviceChanges: new Counter({ name: "kubeproxy_sync_proxy_rules_service_changes_total", help: "Cumulative proxy rules Service changes", registers }),
    serviceChangesPending: new Gauge({ name: "kubeproxy_sync_proxy_rules_service_changes_pending", help: "Pending proxy rules Service changes", registers }),
    endpointChanges: new Counter({ name: "kubeproxy_sync_proxy_rules_endpoint_changes_total", help: "Cumulative proxy rules EndpointSlice changes", registers }),
    endpointChangesPending: new Gauge({ name: "kubeproxy_sync_proxy_rules_endpoint_changes_pending", help: "Pending proxy rules EndpointSlice changes", registers }),
    syncFailures: new Counter({ name: "kubeproxy_sync_proxy_rules_nftables_sync_failures_total", help: "Cumulative proxy nftables sync failures", registers }),
    nftablesObjects: new Gauge({
      name: "kubeproxy_sync_proxy_rules_nftables_objects",
      help: "Objects in kube-proxy's nftables table after the last sync, by kind (chain, rule, map, element)",
      labelNames: ["kind"],
      registers,
    }),
    lastTransactionCommands: new Gauge({
      name: "kubeproxy_sync_proxy_rules_nftables_last_transaction_commands",
      help: "Commands in the last nft transaction applied, by sync kind (full, partial)",
      labelNames: ["sync"],
      registers,
    }),
  };
}
