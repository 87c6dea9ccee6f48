// The Job controller: runs a Job's pods to its completions within parallelism, with back-off, deadline, suspend and TTL.
import { isDeepStrictEqual } from "node:util";
import { batchV1Job, coreV1Pod, isConflict, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import { Expectations, isControlledBy, newControllerRef, ownerKey, type Controller, type Reconciler, type Request, type Result } from "@kubeplane/controller";
import { jobFinish, type JobFinish } from "../util/job-finish.js";
import { hasCondition, podFinishTime, podRestarts, setCondition } from "./job-status.js";
import { isPodActive, isPodFinished, isPodReady } from "../util/pod-util.js";
import { formatTime, parseTime } from "../util/time.js";
import type { ControllerContext } from "../context.js";
import { messageOf, type EventRecorder } from "../event-recorders.js";
import { isNamespaceTerminating } from "../util/namespace-terminating.js";

type Job = batchV1Job.Job;
type JobStatus = batchV1Job.JobStatus;
type Pod = coreV1Pod.Pod;

const jobKind = kindFor("batch/v1", "Job") as KindInfo<Job>;
const podKind = kindFor("v1", "Pod") as KindInfo<Pod>;

/** The first wait before a failed pod is replaced; it doubles with each failure since the last success (Kubernetes' DefaultJobPodFailureBackOff). */
export const JOB_BACKOFF_BASE_MS = 10_000;
/** The longest wait before a failed pod is replaced (Kubernetes' MaxJobPodFailureBackOff). */
export const JOB_BACKOFF_MAX_MS = 360_000;

export interface JobControllerOptions {
  /** Default JOB_BACKOFF_BASE_MS; tests shorten it. */
  backoffBaseMs?: number;
  /** Default JOB_BACKOFF_MAX_MS. */
  backoffMaxMs?: number;
}

/**
 * Builds the Job controller on the context's manager: it watches Jobs and the pods they control.
 * Pods are counted by phase from the informer (no tracking finalizers), so `succeeded` and `failed`
 * in status only grow: a finished pod deleted by someone else is not forgotten, nor counted twice.
 * Orphan pods matching a Job's selector are not adopted, and Indexed completion is run as NonIndexed.
 */
export function newJobController(ctx: ControllerContext, options: JobControllerOptions = {}): Controller {
  const jobs = ctx.informers.informerFor(jobKind);
  const pods = ctx.informers.informerFor(podKind);
  const expectations = new Expectations();
  const jobOf = ownerKey("Job");
  // Registered before the controller's handlers, so expectations are current when a key is reconciled.
  pods.addEventHandler({
    onAdd: (p) => jobOf(p).forEach((k) => expectations.creationObserved(k)),
    onUpdate: (old, cur) => {
      if (!old.metadata?.deletionTimestamp && cur.metadata?.deletionTimestamp) jobOf(cur).forEach((k) => expectations.deletionObserved(k, cur.metadata!.uid));
    },
    onDelete: (p) => jobOf(p).forEach((k) => expectations.deletionObserved(k, p.metadata!.uid)),
  });
  const reconciler = new JobReconciler(ctx, jobs.lister, pods.lister, expectations, {
    backoffBaseMs: options.backoffBaseMs ?? JOB_BACKOFF_BASE_MS,
    backoffMaxMs: options.backoffMaxMs ?? JOB_BACKOFF_MAX_MS,
  });
  const controller = ctx.manager.newController({ name: "job", reconciler });
  controller.watch(jobs);
  controller.watch(pods, jobOf);
  return controller;
}


/** What one sync decided: the pods to start and stop, and the status to write. */
interface Plan {
  create: number;
  remove: Pod[];
  status: JobStatus;
  requeueAfterMs?: number;
}

class JobReconciler implements Reconciler {
  private readonly client: ApiClient;
  private readonly recorder: EventRecorder;
  /** Failed pods that record no finish time: when this process first saw them failed (for back-off only). */
  private readonly failureSeen = new Map<string, Map<string, number>>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly jobs: Lister<Job>,
    private readonly pods: Lister<Pod>,
    private readonly expectations: Expectations,
    private readonly backoff: Required<JobControllerOptions>,
  ) {
    this.client = ctx.client;
    this.recorder = ctx.recorder("job-controller");
  }

  async reconcile({ namespace, name }: Request, signal: AbortSignal): Promise<Result | void> {
    const key = `${namespace}/${name}`;
    const job = this.jobs.get(namespace, name);
    if (!job) {
      this.expectations.delete(key);
      this.failureSeen.delete(key);
      return;
    }
    if (job.metadata?.deletionTimestamp) return;
    const now = this.ctx.now();
    const uid = job.metadata!.uid;
    const pods = this.pods.byIndex("owner", uid).filter((p) => isControlledBy(p, uid));
    const finish = jobFinish(job);
    if (finish) return this.reconcileFinished(key, job, finish, pods, now, signal);
    if (!this.expectations.satisfied(key)) return;

    const plan = this.plan(key, job, pods, now);
    await this.removePods(key, job, plan.remove, signal);
    const created = await this.createPods(key, job, plan.create, signal);
    plan.status.active += created;
    if (!isDeepStrictEqual(plan.status, batchV1Job.JobStatus.fromPartial(job.status ?? {}))) {
      const updated = batchV1Job.Job.fromPartial(job);
      updated.status = plan.status;
      try {
        await this.client.updateStatus(jobKind, updated, { signal });
        this.recordTransitions(job, plan.status);
      } catch (err) {
        // The cache is behind: the newer object's event reconciles this key again.
        if (!isConflict(err)) throw err;
      }
    }
    return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
  }

  /** Events for the conditions the status just written turned on (finished, suspended, resumed), as Kubernetes' job-controller. */
  private recordTransitions(job: Job, status: JobStatus): void {
    const was = (type: string): boolean => hasCondition(job, type);
    const is = (type: string): batchV1Job.JobCondition | undefined => status.conditions.find((c) => c.type === type && c.status === "True");
    const failed = is("Failed");
    if (is("Complete") && !was("Complete")) this.recorder.record(jobKind, job, "Normal", "Completed", "Job completed");
    else if (failed && !was("Failed")) this.recorder.record(jobKind, job, "Warning", failed.reason, failed.message);
    else if (is("Suspended") && !was("Suspended")) this.recorder.record(jobKind, job, "Normal", "Suspended", "Job suspended");
    else if (!is("Suspended") && was("Suspended")) this.recorder.record(jobKind, job, "Normal", "Resumed", "Job resumed");
  }

  /** Decides, from the cached pods alone, what this sync does (Kubernetes' syncJob and manageJob). */
  private plan(key: string, job: Job, pods: Pod[], now: Date): Plan {
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

    const failure = this.failure(spec, failed, active, status.startTime, suspended, now);
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
        const wait = this.backoffRemaining(key, succeededPods, failedPods, now);
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
  private failure(spec: batchV1Job.JobSpec, failed: number, active: Pod[], startTime: string, suspended: boolean, now: Date): { reason: string; message: string } | number | undefined {
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

  /** Ms to wait before replacing failed pods: base·2^(n-1) after the latest of the n failures since the last success, capped. */
  private backoffRemaining(key: string, succeeded: Pod[], failed: Pod[], now: Date): number {
    let seen = this.failureSeen.get(key);
    const finishOf = (p: Pod): number => {
      const t = podFinishTime(p);
      if (t !== undefined) return t;
      if (!seen) this.failureSeen.set(key, (seen = new Map()));
      const uid = p.metadata!.uid;
      if (!seen.has(uid)) seen.set(uid, now.getTime());
      return seen.get(uid)!;
    };
    if (seen) for (const uid of seen.keys()) if (!failed.some((p) => p.metadata?.uid === uid)) seen.delete(uid);
    const lastSuccess = Math.max(0, ...succeeded.map((p) => podFinishTime(p) ?? 0));
    const failures = failed.map(finishOf).filter((t) => t > lastSuccess);
    if (failures.length === 0) return 0;
    const delay = Math.min(this.backoff.backoffBaseMs * 2 ** (failures.length - 1), this.backoff.backoffMaxMs);
    return Math.max(...failures) + delay - now.getTime();
  }

  /** A finished Job: stop pods left running, then delete the Job once its TTL after finishing passed. */
  private async reconcileFinished(key: string, job: Job, finish: JobFinish, pods: Pod[], now: Date, signal: AbortSignal): Promise<Result | void> {
    await this.removePods(key, job, pods.filter(isPodActive), signal);
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (ttl === undefined) return;
    const expires = (finish.at ?? now.getTime()) + ttl * 1000;
    if (now.getTime() < expires) return { requeueAfterMs: expires - now.getTime() };
    try {
      await this.client.delete(jobKind, job.metadata!.namespace, job.metadata!.name, { propagationPolicy: "Background", preconditions: { uid: job.metadata!.uid }, signal });
      this.ctx.logger.info({ controller: "job", namespace: job.metadata!.namespace, name: job.metadata!.name, ttlSecondsAfterFinished: ttl }, "deleted a finished Job after its TTL");
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Starts `count` pods in batches of 1, 2, 4… (slow start: a failing create costs one call, not hundreds). */
  private async createPods(key: string, job: Job, count: number, signal: AbortSignal): Promise<number> {
    if (count <= 0) return 0;
    const template = job.spec?.template;
    const pod = coreV1Pod.Pod.fromPartial({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        generateName: `${job.metadata!.name}-`,
        namespace: job.metadata!.namespace,
        labels: { ...template?.metadata?.labels },
        annotations: { ...template?.metadata?.annotations },
        ownerReferences: [newControllerRef({ ...job, apiVersion: "batch/v1", kind: "Job" })],
      },
      spec: template?.spec,
    });
    this.expectations.expectCreations(key, count);
    let created = 0;
    for (let batch = 1, left = count; left > 0; batch *= 2) {
      const size = Math.min(batch, left);
      left -= size;
      const results = await Promise.allSettled(Array.from({ length: size }, () => this.client.create(podKind, pod, { signal })));
      for (const r of results) {
        if (r.status === "fulfilled") this.recorder.record(jobKind, job, "Normal", "SuccessfulCreate", `Created pod: ${r.value.metadata!.name}`);
        else if (!isNamespaceTerminating(r.reason)) this.recorder.record(jobKind, job, "Warning", "FailedCreate", `Error creating: ${messageOf(r.reason)}`);
      }
      const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      created += size - failures.length;
      if (failures.length > 0) {
        // Neither the failed creates nor the ones not attempted will show up in the informer.
        for (let i = 0; i < failures.length + left; i++) this.expectations.creationObserved(key);
        throw new Error(`creating pods for Job ${key}: ${failures.length} of ${size} failed`, { cause: failures[0]!.reason });
      }
    }
    return created;
  }

  private async removePods(key: string, job: Job, pods: Pod[], signal: AbortSignal): Promise<void> {
    if (pods.length === 0) return;
    this.expectations.expectDeletions(key, pods.map((p) => p.metadata!.uid));
    const results = await Promise.allSettled(
      pods.map(async (p) => {
        try {
          await this.client.delete(podKind, p.metadata!.namespace, p.metadata!.name, { preconditions: { uid: p.metadata!.uid }, signal });
        } catch (err) {
          this.expectations.deletionObserved(key, p.metadata!.uid);
          if (isNotFound(err)) return;
          this.recorder.record(jobKind, job, "Warning", "FailedDelete", `Error deleting: ${messageOf(err)}`);
          throw err;
        }
        this.recorder.record(jobKind, job, "Normal", "SuccessfulDelete", `Deleted pod: ${p.metadata!.name}`);
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw new Error(`deleting pods of Job ${key}`, { cause: failed.reason });
  }
}

/** Pods to stop first: unscheduled, then pending, then not ready, then the newest (Kubernetes' ActivePods order). */
function deletionOrder(a: Pod, b: Pod): number {
  const rank = (p: Pod): number[] => [p.spec?.nodeName ? 1 : 0, p.status?.phase === "Pending" ? 0 : 1, isPodReady(p) ? 1 : 0];
  const [ra, rb] = [rank(a), rank(b)];
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  return (parseTime(b.metadata?.creationTimestamp) ?? 0) - (parseTime(a.metadata?.creationTimestamp) ?? 0);
}
