// Resolves a request's pod and container on this kubelet, with the errors Kubernetes gives.
import { apiErrors, type coreV1Pod } from "@kubeplane/api";
import type { PodSource } from "./sources.js";

/** The pod this kubelet runs, or NotFound. */
export function podOf(pods: PodSource, namespace: string, name: string): coreV1Pod.Pod {
  const pod = pods.get(namespace, name);
  if (!pod) throw apiErrors.notFound({ resource: "pods", name });
  return pod;
}

/**
 * The container a request names (a container or init container of the pod), else the pod's only
 * container; BadRequest otherwise, in Kubernetes' words. The apiserver checks the same before
 * proxying; the kubelet checks again as its cache may be newer or older.
 */
export function containerOf(pod: coreV1Pod.Pod, requested: string): string {
  const name = pod.metadata?.name ?? "";
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const initContainers = (pod.spec?.initContainers ?? []).map((c) => c.name);
  if (!requested) {
    if (containers.length === 1) return containers[0]!;
    const init = initContainers.length ? ` or one of the init containers: [${initContainers.join(" ")}]` : "";
    throw apiErrors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(" ")}]${init}`);
  }
  if (!containers.includes(requested) && !initContainers.includes(requested)) {
    throw apiErrors.badRequest(`container ${requested} is not valid for pod ${name}`);
  }
  return requested;
}
