// The labels that tie an EndpointSlice to its Service and to this controller.
import type { coreV1Service } from "@kubeplane/api";

export const serviceNameLabel = "kubernetes.io/service-name";
export const managedByLabel = "endpointslice.kubernetes.io/managed-by";
export const managedByValue = "endpointslice-controller.k8s.io";
export const headlessLabel = "service.kubernetes.io/headless";

const reserved = new Set([serviceNameLabel, managedByLabel, headlessLabel]);

/**
 * The labels the Service's slices carry (setEndpointSliceLabels): the Service's own labels, the
 * headless marker when it has no cluster IP, and the service-name and managed-by labels.
 */
export function sliceLabels(svc: coreV1Service.Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata?.labels ?? {})) if (!reserved.has(k)) labels[k] = v;
  const clusterIp = svc.spec?.clusterIp ?? "";
  if (clusterIp === "" || clusterIp === "None") labels[headlessLabel] = "";
  labels[serviceNameLabel] = svc.metadata!.name;
  labels[managedByLabel] = managedByValue;
  return labels;
}

/** Same keys, same values. */
export function labelsEqual(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}
