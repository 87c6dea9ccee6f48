// Which container of a pod a logs or exec request is about, by Kubernetes' rule, shared by the apiserver and the kubelet.
import { badRequest } from "./api-error.js";
import type { Pod } from "./gen/kubeplane/core/v1/pod.js";

/**
 * The container a request names (a container or init container of the pod), else the pod's only
 * container. Throws an ApiError (BadRequest) in Kubernetes' words when none is named and the pod
 * has several, or the named one is not in the pod. Pure: the caller supplies the pod it trusts.
 */
export function chooseContainer(pod: Pod, requested: string): string {
  const name = pod.metadata?.name ?? "";
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const initContainers = (pod.spec?.initContainers ?? []).map((c) => c.name);
  if (!requested) {
    if (containers.length === 1) return containers[0]!;
    const init = initContainers.length ? ` or one of the init containers: [${initContainers.join(" ")}]` : "";
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(" ")}]${init}`);
  }
  if (!containers.includes(requested) && !initContainers.includes(requested)) {
    throw badRequest(`container ${requested} is not valid for pod ${name}`);
  }
  return requested;
}
