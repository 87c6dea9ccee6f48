// Pod predicates every controller judges pods by (Kubernetes' podutil): active, finished, ready, available.
import type { coreV1Pod } from "@kubeplane/api";

type Pod = coreV1Pod.Pod;

/** Succeeded or Failed: the pod will not run again. */
export function isPodFinished(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed";
}

/** Not finished and not being deleted: a pod that counts toward its owner (controller.FilterActivePods). */
export function isPodActive(pod: Pod): boolean {
  return !isPodFinished(pod) && !pod.metadata?.deletionTimestamp;
}

function readyCondition(pod: Pod): coreV1Pod.PodCondition | undefined {
  return pod.status?.conditions.find((c) => c.type === "Ready");
}

/** The pod's Ready condition is True (podutil.IsPodReady). */
export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === "True";
}

/** Running with its Ready condition True (StatefulSet's isRunningAndReady). */
export function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === "Running" && isPodReady(pod);
}

/** When the pod last became Ready (ms since the epoch); undefined when it is not Ready or the time is unknown. */
export function readySinceMs(pod: Pod): number | undefined {
  const c = readyCondition(pod);
  if (c?.status !== "True" || !c.lastTransitionTime) return undefined;
  const t = Date.parse(c.lastTransitionTime);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Ready for at least `minReadySeconds` at `now` (podutil.IsPodAvailable): available once
 * `lastTransitionTime + minReadySeconds <= now`. With minReadySeconds 0 a Ready pod is available at
 * once; otherwise a Ready pod with no transition time is not, since nothing says how long it has been ready.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Date): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = readySinceMs(pod);
  return since !== undefined && since + minReadySeconds * 1000 <= now.getTime();
}

/** Milliseconds until a Ready pod becomes available; undefined when it is not Ready, already available or the time is unknown. */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, now: Date): number | undefined {
  if (minReadySeconds <= 0) return undefined;
  const since = readySinceMs(pod);
  if (since === undefined) return undefined;
  const left = since + minReadySeconds * 1000 - now.getTime();
  return left > 0 ? left : undefined;
}
