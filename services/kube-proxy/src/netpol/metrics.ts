// Metrics of NetworkPolicy enforcement (kube-proxy's netpol module).
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** What the enforcer updates; one set per registry. */
export interface NetpolMetrics {
  syncDuration: Histogram;
  syncs: Counter<"result">;
  lastSyncTimestamp: Gauge;
  nftablesObjects: Gauge<"kind">;
  isolatedPods: Gauge<"direction">;
}

/** Registers the NetworkPolicy metrics on `registry`. */
export function netpolMetrics(registry: Registry): NetpolMetrics {
  const registers = [registry];
  return {
    syncDuration: new Histogram({
      name: "kubeproxy_network_policy_sync_duration_seconds",
      help: "Time to compile the NetworkPolicy rules and, when they changed, apply them as one nft transaction",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    syncs: new Counter({ name: "kubeproxy_network_policy_syncs_total", help: "NetworkPolicy syncs by result (applied, unchanged, failed)", labelNames: ["result"], registers }),
    lastSyncTimestamp: new Gauge({ name: "kubeproxy_network_policy_last_sync_timestamp_seconds", help: "The last time the NetworkPolicy table was known to be current", registers }),
    nftablesObjects: new Gauge({
      name: "kubeproxy_network_policy_nftables_objects",
      help: "Objects in the NetworkPolicy nftables table after the last sync, by kind (chain, rule, set, element)",
      labelNames: ["kind"],
      registers,
    }),
    isolatedPods: new Gauge({ name: "kubeproxy_network_policy_isolated_pods", help: "Local pods isolated by NetworkPolicy, by direction", labelNames: ["direction"], registers }),
  };
}
