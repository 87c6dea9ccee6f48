// Pod events → the keys of the Services selecting the pod, for both endpoints controllers.
import type { coreV1Pod, coreV1Service } from "@kubeplane/api";
import type { Lister, ResourceEventHandler } from "@kubeplane/client";
import { podEndpointsChanged } from "./pod-endpoints.js";
import { servicesForPod } from "./service-pods.js";

/**
 * Enqueues every Service (of the pod's namespace only) that selects the pod before or after the
 * change. Updates that cannot change an endpoint (status heartbeats, restarts) enqueue nothing.
 */
export function podEventHandler(services: Lister<coreV1Service.Service>, enqueue: (key: string) => void): ResourceEventHandler<coreV1Pod.Pod> {
  const enqueueFor = (...pods: coreV1Pod.Pod[]): void => new Set(pods.flatMap((p) => servicesForPod(services, p))).forEach(enqueue);
  return {
    onAdd: (pod) => enqueueFor(pod),
    onUpdate: (old, cur) => {
      if (podEndpointsChanged(old, cur)) enqueueFor(old, cur);
    },
    onDelete: (pod) => enqueueFor(pod),
  };
}
