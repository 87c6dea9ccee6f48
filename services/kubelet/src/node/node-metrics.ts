// The node agent's metrics, named after the kubelet's.
import { Gauge, type Registry } from "prom-client";

/** The node agent's metrics in one registry; safe to create twice on a registry (the metrics are shared). */
export interface NodeMetrics {
  /** kubelet_node_name{node}: 1 for each node this process runs as. */
  nodeName: Gauge<"node">;
  /** kubelet_node_startup_registration_duration_seconds: from start until the Node was registered. */
  registrationSeconds: Gauge<"node">;
}

export function nodeMetrics(registry: Registry): NodeMetrics {
  return {
    nodeName: gauge(registry, "kubelet_node_name", "The node's name. The count is always 1.", ["node"]),
    registrationSeconds: gauge(registry, "kubelet_node_startup_registration_duration_seconds", "Seconds from the kubelet's start until its Node was registered.", ["node"]),
  };
}

/** A gauge of the registry, created on first use. */
export function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Gauge<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<L>;
  return new Gauge({ name, help, labelNames, registers: [registry] });
}
