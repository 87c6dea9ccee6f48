// The HPA's view of metrics.k8s.io: each selected pod's usage of a resource, summed over its containers, in thousandths.
import { podMetricsInfo, type ApiObject, type KindInfo, type metricsV1beta1 } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import { milliValue, type PodMetric } from "./replica-calculator.js";

/** Where resource metrics come from; the controller reads metrics.k8s.io through the apiserver. */
export interface ResourceMetricsSource {
  /**
   * Pod name → usage of `resource` for the pods of `namespace` matching `selector` (only `container`'s when
   * given); a pod lacking a counted container's figure is left out.
   */
  podUsage(namespace: string, selector: string, resource: string, signal?: AbortSignal, container?: string): Promise<Map<string, PodMetric>>;
}

/** Go's duration strings as metav1.Duration prints them ("15s", "1m30s", "10.5s"), in ms. */
export function parseGoDuration(text: string): number {
  let ms = 0;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, µs: 1e-3, ns: 1e-6 };
  for (const [, n, unit] of text.matchAll(re)) ms += Number(n) * units[unit!]!;
  return ms;
}

/** Sums one resource over a PodMetrics' containers (or `container`'s); undefined when a counted one did not report it (upstream skips such a pod). */
export function podMetricValue(m: metricsV1beta1.PodMetrics, resource: string, container = ""): PodMetric | undefined {
  let value = 0;
  const counted = container ? m.containers.filter((c) => c.name === container) : m.containers;
  if (counted.length === 0) return undefined;
  for (const c of counted) {
    const usage = c.usage[resource];
    if (usage === undefined) return undefined;
    value += milliValue(usage);
  }
  return { value, timestampMs: Date.parse(m.timestamp) || 0, windowMs: parseGoDuration(m.window) };
}

/** Reads PodMetrics from the apiserver's metrics.k8s.io. */
export function apiserverMetricsSource(client: ApiClient): ResourceMetricsSource {
  return {
    async podUsage(namespace, selector, resource, signal, container) {
      let items: ApiObject[];
      try {
        ({ items } = await client.list(podMetricsInfo as unknown as KindInfo, { namespace, labelSelector: selector, ...(signal ? { signal } : {}) }));
      } catch (err) {
        throw new Error(`unable to fetch metrics from resource metrics API: ${(err as Error).message}`, { cause: err });
      }
      if (items.length === 0) throw new Error("no metrics returned from resource metrics API");
      const out = new Map<string, PodMetric>();
      for (const obj of items) {
        const m = podMetricValue(obj as metricsV1beta1.PodMetrics, resource, container);
        if (m) out.set(obj.metadata?.name ?? "", m);
      }
      return out;
    },
  };
}
