// What one Job sync does, decided from the cached pods alone (Kubernetes' syncJob and manageJob): pods to start and stop, and the status.
import { batchV1Job, type coreV1Pod } from "@kubeplane/api";
import { isPodActive, isPodFinished, isPodReady } from "../util/pod-util.js";
import { formatTime, parseTime } from "../util/time.js";
import { hasCondition, podRestarts, setCondition } from "./job-status.js";

type Job = batchV1Job.Job;
type JobStatus = batchV1Job.JobStatus;
type Pod = coreV1Pod.Pod;

/** What one sync decided: the pods to start and stop, and the status to write. */
export interface Plan {
  create: number;
  remove: Pod[];
  status: JobStatus;
  requeueAfterMs?: number;
}

/**
 * Decides, from the cached pods alone, what this sync does (Kubernetes' syncJob and manageJob). `backoffWait`
 * says how long replacing failed pods must still wait (0: now).
 */
export function planSync(job: Job, pods: readonly Pod[], now: Date, backoffWait: (succeeded: Pod[], failed: Pod[]) => number): Plan {
  const spec = job.spec ?? batchV1Job.JobSpec.fromPartial({});
  const old = batchV1Job.JobStatus.fromPartial(job.status ?? {});
  const active = pods.filter(isPodActive);
  const terminating = pods.filter((p) => !isPodFinished(p) && p.metadata?.deletionTimestamp);
  const succeededPods = pods.filter((p) => p.status?.phase === "Succeeded");
  const failedPods = pods.filter((p) => p.status?.phase === "Failed");
  const succeeded = Math.max(old.succeeded, succeededPods.length);
  const failed = Math.max(old.failed, failedPods.length);
  const suspended = spec.suspend === true;
  const wasSuspended = hasCondition(job, "Suspended");
  const status: JobStatus = { ...old, succeeded, failed, conditions: old.conditions };
  // The deadline counts from the start, or from the latest resume.
  if (!suspended && (!status.startTime || wasSuspended)) status.startTime = formatTime(now);
  let requeueAfterMs: number | undefined;
  let remove: Pod[] = [];
  let create = 0;

  const failure = jobFailure(spec, failed, active, status.startTime, suspended, now);
  if (typeof failure === "number") requeueAfterMs = failure;
  if (failure && typeof failure !== "number") {
    status.conditions = setCondition(status.conditions, "Failed", "True", failure.reason, failure.message, now);
    remove = active;
  } else if (suspended) {
    status.conditions = setCondition(status.conditions, "Suspended", "True", "JobSuspended", "Job suspended", now);
    remove = active;
  } else {
    status.conditions = setCondition(status.conditions, "Suspended", "False", "JobResumed", "Job resumed", now);
    const parallelism = spec.parallelism ?? 1;
    const completions = spec.completions;
    // Work-queue Jobs (no completions) start no pod after the first success and let running ones finish.
    const want = completions === undefined ? (succeeded > 0 ? active.length : parallelism) : Math.min(Math.max(completions - succeeded, 0), parallelism);
    const occupied = active.length + (spec.podReplacementPolicy === "Failed" ? terminating.length : 0);
    if (occupied > want) {
      remove = [...active].sort(deletionOrder).slice(0, Math.min(occupied - want, active.length));
    } else if (occupied < want) {
      const wait = backoffWait(succeededPods, failedPods);
      if (wait > 0) requeueAfterMs = Math.min(requeueAfterMs ?? wait, wait);
      else create = want - occupied;
    }
    const stillActive = active.length - remove.length + create;
    const complete = completions === undefined ? succeeded > 0 && stillActive === 0 : succeeded >= completions;
    if (complete) {
      status.conditions = setCondition(status.conditions, "Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods", now);
      status.completionTime = formatTime(now);
      remove = active;
      create = 0;
      requeueAfterMs = undefined;
    }
  }
  status.active = active.length - remove.length;
  status.ready = active.filter((p) => !remove.includes(p) && isPodReady(p)).length;
  status.terminating = terminating.length + remove.length;
  return { create, remove, status, requeueAfterMs };
}

/** Why the Job has failed, or else ms until its active deadline (undefined: none). */
function jobFailure(spec: batchV1Job.JobSpec, failed: number, active: Pod[], startTime: string, suspended: boolean, now: Date): { reason: string; message: string } | number | undefined {
  const limit = spec.backoffLimit ?? 6;
  const exceeded = "Job has reached the specified backoff limit";
  if (failed > limit) return { reason: "BackoffLimitExceeded", message: exceeded };
  if (spec.template?.spec?.restartPolicy === "OnFailure") {
    const restarts = active.reduce((n, p) => n + podRestarts(p), 0);
    if (limit === 0 ? restarts > 0 : restarts >= limit) return { reason: "BackoffLimitExceeded", message: exceeded };
  }
  const start = parseTime(startTime);
  if (suspended || spec.activeDeadlineSeconds === undefined || start === undefined) return undefined;
  const left = start + spec.activeDeadlineSeconds * 1000 - now.getTime();
  return left <= 0 ? { reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" } : left;
}

/** Pods to stop first: unscheduled, then pending, then not ready, then the newest (Kubernetes' ActivePods order). */
function deletionOrder(a: Pod, b: Pod): number {
  const rank = (p: Pod): number[] => [p.spec?.nodeName ? 1 : 0, p.status?.phase === "Pending" ? 0 : 1, isPodReady(p) ? 1 : 0];
  const [ra, rb] = [rank(a), rank(b)];
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  return (parseTime(b.metadata?.creationTimestamp) ?? 0) - (parseTime(a.metadata?.creationTimestamp) ?? 0);
}
