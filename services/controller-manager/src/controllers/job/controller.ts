// The Job controller: runs a Job's pods to its completions within parallelism, with back-off, deadline, suspend and TTL.
import { isDeepStrictEqual } from "node:util";
import { batchV1Job, isConflict, isNotFound, kindFor, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import { Expectations, isControlledBy, ownerKey, type Controller, type Reconciler, type Request, type Result } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";
import type { EventRecorder } from "../event-recorders.js";
import { jobFinish, type JobFinish } from "../util/job-finish.js";
import { isPodActive } from "../util/pod-util.js";
import { FailureBackoff } from "./backoff.js";
import { hasCondition } from "./job-status.js";
import { planSync } from "./plan.js";
import { JobPodControl } from "./pod-control.js";

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

class JobReconciler implements Reconciler {
  private readonly client: ApiClient;
  private readonly recorder: EventRecorder;
  private readonly podControl: JobPodControl;
  private readonly failureBackoff: FailureBackoff;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly jobs: Lister<Job>,
    private readonly pods: Lister<Pod>,
    private readonly expectations: Expectations,
    backoff: Required<JobControllerOptions>,
  ) {
    this.client = ctx.client;
    this.recorder = ctx.recorder("job-controller");
    this.podControl = new JobPodControl(ctx.client, this.recorder, expectations);
    this.failureBackoff = new FailureBackoff(backoff.backoffBaseMs, backoff.backoffMaxMs);
  }

  async reconcile({ namespace, name }: Request, signal: AbortSignal): Promise<Result | void> {
    const key = `${namespace}/${name}`;
    const job = this.jobs.get(namespace, name);
    if (!job) {
      this.expectations.delete(key);
      this.failureBackoff.forget(key);
      return;
    }
    if (job.metadata?.deletionTimestamp) return;
    const now = this.ctx.now();
    const uid = job.metadata!.uid;
    const pods = this.pods.byIndex("owner", uid).filter((p) => isControlledBy(p, uid));
    const finish = jobFinish(job);
    if (finish) return this.reconcileFinished(key, job, finish, pods, now, signal);
    if (!this.expectations.satisfied(key)) return;

    const plan = planSync(job, pods, now, (succeeded, failed) => this.failureBackoff.remaining(key, succeeded, failed, now));
    await this.podControl.removePods(key, job, plan.remove, signal);
    const created = await this.podControl.createPods(key, job, plan.create, signal);
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

  /** A finished Job: stop pods left running, then delete the Job once its TTL after finishing passed. */
  private async reconcileFinished(key: string, job: Job, finish: JobFinish, pods: Pod[], now: Date, signal: AbortSignal): Promise<Result | void> {
    await this.podControl.removePods(key, job, pods.filter(isPodActive), signal);
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
}
