// PodInfo: a pod with what the scheduler computes once per pod.
import type { Pod, PodInfo } from "./interface.js";
import { podRequests } from "./resources.js";

/** The pod's cache and queue key: namespace/name. */
export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}

export function newPodInfo(pod: Pod): PodInfo {
  return {
    pod,
    key: podKey(pod),
    requests: podRequests(pod),
    nonZeroRequests: podRequests(pod, true),
  };
}

export function hasPodAffinity(pod: Pod): boolean {
  const a = pod.spec?.affinity;
  return Boolean(a?.podAffinity || a?.podAntiAffinity);
}

export function hasRequiredAntiAffinity(pod: Pod): boolean {
  return (pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution.length ?? 0) > 0;
}
