// The status a replica controller reports: counts of its pods, observedGeneration and the ReplicaFailure condition.
import type { coreV1Pod } from "@kubeplane/api";
import { isPodAvailable, isPodReady, readySinceMs } from "../util/pod-util.js";

type Pod = coreV1Pod.Pod;

/** A ReplicaSet's or ReplicationController's condition (both kinds have these fields). */
export interface ReplicaCondition {
  type: string;
  status: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** The status fields ReplicaSet and ReplicationController share. */
export interface ReplicaStatus {
  replicas: number;
  fullyLabeledReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  observedGeneration: number;
  conditions: ReplicaCondition[];
}

/** An RFC 3339 timestamp at second precision, as every timestamp in the API. */
export function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The status for `pods` (the active pods the owner controls), as calculateStatus does: a failed
 * create or delete adds ReplicaFailure (kept, with its first message, until a sync succeeds).
 */
export function calculateStatus(input: {
  previous: Partial<ReplicaStatus> | undefined;
  generation: number;
  templateLabels: Readonly<Record<string, string>>;
  minReadySeconds: number;
  pods: readonly Pod[];
  failure: { reason: string; message: string } | undefined;
  now: Date;
}): ReplicaStatus {
  const { pods, templateLabels, minReadySeconds, now } = input;
  const templateEntries = Object.entries(templateLabels);
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    const labels = pod.metadata?.labels ?? {};
    if (templateEntries.every(([k, v]) => labels[k] === v)) fullyLabeled++;
    if (isPodReady(pod)) ready++;
    if (isPodAvailable(pod, minReadySeconds, now)) available++;
  }
  let conditions = [...(input.previous?.conditions ?? [])];
  const hasFailure = conditions.some((c) => c.type === "ReplicaFailure");
  if (input.failure && !hasFailure) {
    conditions.push({ type: "ReplicaFailure", status: "True", lastTransitionTime: timestamp(now), ...input.failure });
  } else if (!input.failure && hasFailure) {
    conditions = conditions.filter((c) => c.type !== "ReplicaFailure");
  }
  return {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: input.generation,
    conditions,
  };
}

/** Whether writing `next` over `previous` would change anything. */
export function statusChanged(previous: Partial<ReplicaStatus> | undefined, next: ReplicaStatus): boolean {
  if (!previous) return true;
  const conditionKey = (cs: readonly ReplicaCondition[] | undefined): string =>
    JSON.stringify((cs ?? []).map((c) => [c.type, c.status, c.reason, c.message, c.lastTransitionTime]));
  return (
    (previous.replicas ?? 0) !== next.replicas ||
    (previous.fullyLabeledReplicas ?? 0) !== next.fullyLabeledReplicas ||
    (previous.readyReplicas ?? 0) !== next.readyReplicas ||
    (previous.availableReplicas ?? 0) !== next.availableReplicas ||
    (previous.observedGeneration ?? 0) !== next.observedGeneration ||
    conditionKey(previous.conditions) !== conditionKey(next.conditions)
  );
}

/**
 * How long until the next ready pod becomes available (ready for minReadySeconds), so the
 * owner is synced again then; undefined when no pod is waiting for that.
 */
export function nextAvailableInMs(pods: readonly Pod[], minReadySeconds: number, now: Date): number | undefined {
  if (minReadySeconds <= 0) return undefined;
  const nowMs = now.getTime();
  let next: number | undefined;
  for (const pod of pods) {
    const since = readySinceMs(pod);
    if (since === undefined || isPodAvailable(pod, minReadySeconds, now)) continue;
    // Timers may fire a little early.
    const wait = Math.max(0, since + minReadySeconds * 1000 - nowMs) + 50;
    next = next === undefined ? wait : Math.min(next, wait);
  }
  return next;
}
