// Reading Jobs and their pods: finished conditions, pod phases and finish times, condition updates.
import { batchV1Job, type coreV1Pod } from "@kubeplane/api";
import { formatTime, parseTime } from "./time.js";

type Job = batchV1Job.Job;
type JobCondition = batchV1Job.JobCondition;
type Pod = coreV1Pod.Pod;

/** How a Job ended: its Complete or Failed condition (status True), and when. */
export interface JobFinish {
  type: "Complete" | "Failed";
  /** When it finished (ms): the condition's transition, or completionTime. */
  at: number | undefined;
}

/** The Job's terminal condition, if it has one. */
export function jobFinish(job: Job): JobFinish | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === "Complete" || c.type === "Failed") && c.status === "True") {
      const at = parseTime(c.lastTransitionTime) ?? (c.type === "Complete" ? parseTime(job.status?.completionTime) : undefined);
      return { type: c.type, at };
    }
  }
  return undefined;
}

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
