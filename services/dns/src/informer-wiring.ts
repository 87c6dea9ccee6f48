// Keeps the record index current from the Service and EndpointSlice informers.
import type { coreV1Service, discoveryV1 } from "@kubeplane/api";
import type { Informer } from "@kubeplane/client";
import type { DnsMetrics } from "./metrics.js";
import type { RecordIndex } from "./record-index.js";

/** Set by the EndpointSlice controller: when the change behind this slice's content happened. */
const TRIGGER_TIME_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time";

/**
 * Feeds every informer event into `index` (a synchronous, per-Service recompute: cheap enough to
 * run in the handler itself, so an answer never lags a queue) and refreshes the gauges.
 */
export function wireIndex(
  index: RecordIndex,
  services: Informer<coreV1Service.Service>,
  slices: Informer<discoveryV1.EndpointSlice>,
  metrics: DnsMetrics,
): void {
  const refresh = (): void => {
    metrics.records.set(index.records);
    metrics.services.set(index.serviceCount);
  };
  services.addEventHandler({
    onAdd: (svc) => (index.setService(svc), refresh()),
    onUpdate: (_old, svc) => (index.setService(svc), refresh()),
    onDelete: (svc) => (index.deleteService(svc), refresh()),
  });
  const observeProgramming = (slice: discoveryV1.EndpointSlice): void => {
    const trigger = Date.parse(slice.metadata?.annotations?.[TRIGGER_TIME_ANNOTATION] ?? "");
    if (Number.isFinite(trigger) && Date.now() >= trigger) metrics.programming.observe((Date.now() - trigger) / 1000);
  };
  slices.addEventHandler({
    onAdd: (slice) => (index.setEndpointSlice(slice), observeProgramming(slice), refresh()),
    onUpdate: (_old, slice) => (index.setEndpointSlice(slice), observeProgramming(slice), refresh()),
    onDelete: (slice) => (index.deleteEndpointSlice(slice), refresh()),
  });
}
