// Resolves a request's pod and container on this kubelet, with the errors Kubernetes gives.
import { apiErrors, type coreV1Pod } from "@kubeplane/api";
import type { PodSource } from "./sources.js";

/** The pod this kubelet runs, or NotFound. */
export function podOf(pods: PodSource, namespace: string, name: string): coreV1Pod.Pod {
  const pod = pods.get(namespace, name);
  if (!pod) throw apiErrors.notFound({ resource: "pods", name });
  return pod;
}
