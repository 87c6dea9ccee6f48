// Reading a Job's pods and writing its conditions: pod finish times and restarts, condition updates.
import { batchV1Job, type coreV1Pod } from "@kubeplane/api";
import { formatTime, parseTime } from "../util/time.js";

type Job = batchV1Job.Job;
type JobCondition = batchV1Job.JobCondition;
type Pod = coreV1Pod.Pod;

/**
 * When a finished pod finished (ms): its containers' latest finishedAt, else the Ready=False
 * transition, else its deletion. Undefined when the pod records none (Kubernetes' getFinishedTime).
 */
export function podFinishTime(pod: Pod): number | undefined {
  const status = pod.status;
  let latest: number | undefined;
  for (const cs of [...(status?.containerStatuses ?? []), ...(status?.initContainerStatuses ?? [])]) {
    const t = parseTime(cs.state?.terminated?.finishedAt);
    if (t !== undefined && (latest === undefined || t > latest)) latest = t;
  }
  if (latest !== undefined) return latest;
  const notReady = status?.conditions.find((c) => c.type === "Ready" && c.status === "False");
  return parseTime(notReady?.lastTransitionTime) ?? parseTime(pod.metadata?.deletionTimestamp);
}

/** Container restarts of a pod (they count as failures of an OnFailure Job). */
export function podRestarts(pod: Pod): number {
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return statuses.reduce((n, cs) => n + (cs.restartCount ?? 0), 0);
}

/**
 * Sets condition `type` in `conditions` (a copy is returned). An unchanged status keeps its
 * transition time; a condition set to False that does not exist is not added.
 */
export function setCondition(conditions: readonly JobCondition[], type: string, status: "True" | "False", reason: string, message: string, now: Date): JobCondition[] {
  const existing = conditions.find((c) => c.type === type);
  if (!existing && status === "False") return [...conditions];
  const time = formatTime(now);
  if (existing && existing.status === status && existing.reason === reason && existing.message === message) return [...conditions];
  const next = batchV1Job.JobCondition.fromPartial({
    type,
    status,
    reason,
    message,
    lastProbeTime: time,
    lastTransitionTime: existing && existing.status === status ? existing.lastTransitionTime : time,
  });
  return existing ? conditions.map((c) => (c === existing ? next : c)) : [...conditions, next];
}

export function hasCondition(job: Job, type: string): boolean {
  return job.status?.conditions.some((c) => c.type === type && c.status === "True") ?? false;
}
