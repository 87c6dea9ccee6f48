// The cloud-controller-manager's own metrics, named after their Kubernetes counterparts where one exists.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Metrics of the cloud controllers (the reconcile and work-queue metrics come from libs/controller). */
export interface CloudMetrics {
  /** cloud-node: seconds from a Node's creation to the removal of its uninitialized taint. */
  taintRemovalDelay: Histogram;
  /** service: load-balancer syncs by result (success, pending, error). */
  loadBalancerSync: Counter<"result">;
  /** service: load-balancer pool addresses in use, per pool. */
  poolUsed: Gauge<"pool">;
  /** service: load-balancer pool addresses free, per pool. */
  poolFree: Gauge<"pool">;
  /** node-ipam: fraction of the cluster CIDR's node CIDRs in use. */
  cidrUsage: Gauge<"clusterCIDR">;
  /** route: route syncs by result. */
  routeSync: Counter<"result">;
  /** volume: provision and delete operations by outcome. */
  storageOperation: Histogram<"operation_name" | "status">;
}

const cache = new WeakMap<Registry, CloudMetrics>();

/** The metrics, registered once per registry. */
export function cloudMetrics(registry: Registry): CloudMetrics {
  const found = cache.get(registry);
  if (found) return found;
  const registers = [registry];
  const metrics: CloudMetrics = {
    taintRemovalDelay: new Histogram({
      name: "cloud_provider_taint_removal_delay_seconds",
      help: "Number of seconds after node creation when the cloud-node controller removed the cloud-provider taint",
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300],
      registers,
    }),
    loadBalancerSync: new Counter({ name: "service_controller_loadbalancer_sync_total", help: "Load balancer syncs by result", labelNames: ["result"], registers }),
    poolUsed: new Gauge({ name: "cloudprovider_loadbalancer_pool_addresses_used", help: "Load-balancer pool addresses assigned to Services", labelNames: ["pool"], registers }),
    poolFree: new Gauge({ name: "cloudprovider_loadbalancer_pool_addresses_free", help: "Load-balancer pool addresses not assigned", labelNames: ["pool"], registers }),
    cidrUsage: new Gauge({ name: "node_ipam_controller_cidrset_usage_cidrs", help: "Fraction of the cluster CIDR's node CIDRs allocated", labelNames: ["clusterCIDR"], registers }),
    routeSync: new Counter({ name: "route_controller_route_sync_total", help: "Route syncs by result", labelNames: ["result"], registers }),
    storageOperation: new Histogram({
      name: "storage_operation_duration_seconds",
      help: "Storage operation duration (provision, delete)",
      labelNames: ["operation_name", "status"],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15],
      registers,
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}
