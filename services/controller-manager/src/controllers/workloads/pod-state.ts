// Pod state as workload controllers judge it: active, ready, available (minReadySeconds), and IntOrString scaling.
import type { coreV1Pod } from "@kubeplane/api";

type Pod = coreV1Pod.Pod;

/** Not being deleted and not finished: a pod that counts toward a workload. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return !pod.metadata?.deletionTimestamp && phase !== "Succeeded" && phase !== "Failed";
}

/** The pod's Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** Running with its Ready condition True. */
export function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === "Running" && isPodReady(pod);
}

/**
 * Ready for at least `minReadySeconds` at `now` (Kubernetes' IsPodAvailable). Condition times have
 * second precision, so a pod is available once a whole `minReadySeconds` passed since the transition.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Date): boolean {
  const ready = pod.status?.conditions.find((c) => c.type === "Ready" && c.status === "True");
  if (!ready) return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(ready.lastTransitionTime);
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now.getTime();
}

/** Milliseconds until a Ready pod becomes available, or undefined if it is not Ready or already is. */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, now: Date): number | undefined {
  const ready = pod.status?.conditions.find((c) => c.type === "Ready" && c.status === "True");
  if (!ready || minReadySeconds <= 0) return undefined;
  const left = Date.parse(ready.lastTransitionTime) + minReadySeconds * 1000 - now.getTime();
  return Number.isFinite(left) && left > 0 ? left : undefined;
}

/**
 * An IntOrString (`"2"` or `"25%"`) as a count of `total` (Kubernetes' GetScaledValueFromIntOrPercent);
 * an empty value is `fallback`. Throws a RangeError for anything else (validation rejects it first).
 */
export function scaledValue(value: string, total: number, roundUp: boolean, fallback = 0): number {
  if (value === "") return fallback;
  if (/^\d+$/.test(value)) return Number(value);
  const m = /^(\d+)%$/.exec(value);
  if (!m) throw new RangeError(`invalid int or percentage: ${JSON.stringify(value)}`);
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}
