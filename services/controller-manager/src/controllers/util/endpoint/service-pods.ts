// Which pods a Service selects and which Services select a pod, from the informer caches.
import type { coreV1Pod, coreV1Service } from "@kubeplane/api";
import type { Lister } from "@kubeplane/client";

type Pod = coreV1Pod.Pod;
type Service = coreV1Service.Service;

/**
 * The Service's selector, or undefined when it has none: such Services' endpoints are managed by
 * someone else and left alone. An empty map is "none" too (a proto map cannot tell nil from empty).
 */
export function serviceSelector(svc: Service): Readonly<Record<string, string>> | undefined {
  const selector = svc.spec?.selector ?? {};
  return Object.keys(selector).length > 0 ? selector : undefined;
}

function selects(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>> | undefined): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels?.[k] !== v) return false;
  return true;
}

/** The pods of the Service's namespace its selector matches, narrowed through the label index. */
export function podsForService(pods: Lister<Pod>, svc: Service): Pod[] {
  const selector = serviceSelector(svc);
  if (!selector) return [];
  const namespace = svc.metadata!.namespace;
  const [key, value] = Object.entries(selector)[0]!;
  return pods.byIndex("label", `${key}=${value}`).filter((p) => p.metadata?.namespace === namespace && selects(selector, p.metadata.labels));
}

/** Keys of the Services in the pod's namespace whose selector matches it (GetPodServiceMemberships). */
export function servicesForPod(services: Lister<Service>, pod: Pod): string[] {
  const namespace = pod.metadata?.namespace ?? "";
  return services
    .listByNamespace(namespace)
    .filter((svc) => {
      const selector = serviceSelector(svc);
      return selector !== undefined && selects(selector, pod.metadata?.labels);
    })
    .map((svc) => `${namespace}/${svc.metadata!.name}`);
}
