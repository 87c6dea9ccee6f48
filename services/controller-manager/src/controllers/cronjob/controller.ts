// The CronJob controller: creates a Job per schedule time, honouring concurrency policy, starting deadline, history limits and suspend.
import { isDeepStrictEqual } from "node:util";
import { batchV1CronJob, batchV1Job, coreV1Types, isAlreadyExists, isConflict, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import { isControlledBy, newControllerRef, ownerKey, type Controller, type Reconciler, type Request, type Result } from "@kubeplane/controller";
import { CronParseError, parseCronSchedule, type CronSchedule } from "./cron-schedule.js";
import { jobFinish } from "../util/job-finish.js";
import { formatInZone, formatTime, parseTime } from "../util/time.js";
import type { ControllerContext } from "../context.js";
import { messageOf, type EventRecorder } from "../event-recorders.js";

type CronJob = batchV1CronJob.CronJob;
type CronJobStatus = batchV1CronJob.CronJobStatus;
type Job = batchV1Job.Job;
type ObjectReference = coreV1Types.ObjectReference;

const cronJobKind = kindFor("batch/v1", "CronJob") as KindInfo<CronJob>;
const jobKind = kindFor("batch/v1", "Job") as KindInfo<Job>;

/** Set on each Job a CronJob creates: the schedule time it runs for, in the CronJob's time zone. */
export const SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp";

/**
 * Builds the CronJob controller on the context's manager. Every time-based decision reads
 * `ctx.now()`; a reconcile asks to run again just after the next schedule time, and any change to
 * the CronJob or its Jobs reconciles it at once (tests advance the clock and touch the CronJob).
 * Schedules without `timeZone` are read in UTC.
 */
export function newCronJobController(ctx: ControllerContext): Controller {
  const cronJobs = ctx.informers.informerFor(cronJobKind);
  const jobs = ctx.informers.informerFor(jobKind);
  const controller = ctx.manager.newController({ name: "cronjob", reconciler: new CronJobReconciler(ctx, cronJobs.lister, jobs.lister) });
  controller.watch(cronJobs);
  controller.watch(jobs, ownerKey("CronJob"));
  return controller;
}


/** The Job a CronJob runs for schedule time `t`: its name carries the minutes since the epoch (so a retry cannot run it twice). */
export function jobNameFor(cronJob: string, t: Date): string {
  return `${cronJob}-${Math.floor(t.getTime() / 60_000)}`;
}

/**
 * The latest schedule time in (earliest, now], or undefined. Searches back from `now` in growing
 * windows, so a CronJob that missed a year of minutes costs a handful of steps, not 500,000.
 */
export function mostRecentScheduleTime(schedule: CronSchedule, earliest: Date, now: Date): Date | undefined {
  const windowsMs = [2 * 60_000, 2 * 3600_000, 2 * 86400_000, 64 * 86400_000, 800 * 86400_000, 10 * 366 * 86400_000];
  for (const window of windowsMs) {
    const from = Math.max(earliest.getTime(), now.getTime() - window);
    let t = schedule.next(new Date(from));
    if (t && t <= now) {
      for (let n = schedule.next(t); n && n <= now; n = schedule.next(n)) t = n;
      return t;
    }
    if (from === earliest.getTime()) return undefined;
  }
  return undefined;
}

class CronJobReconciler implements Reconciler {
  private readonly client: ApiClient;
  private readonly recorder: EventRecorder;
  private readonly schedules = new Map<string, CronSchedule | CronParseError>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly cronJobs: Lister<CronJob>,
    private readonly jobs: Lister<Job>,
  ) {
    this.client = ctx.client;
    this.recorder = ctx.recorder("cronjob-controller");
  }

  async reconcile({ namespace, name }: Request, signal: AbortSignal): Promise<Result | void> {
    const cj = this.cronJobs.get(namespace, name);
    if (!cj || cj.metadata?.deletionTimestamp) return;
    const spec = cj.spec ?? batchV1CronJob.CronJobSpec.fromPartial({});
    const uid = cj.metadata!.uid;
    const now = this.ctx.now();
    const log = { controller: "cronjob", namespace, name };
    const owned = this.jobs.byIndex("owner", uid).filter((j) => isControlledBy(j, uid) && !j.metadata?.deletionTimestamp);
    const old = batchV1CronJob.CronJobStatus.fromPartial(cj.status ?? {});
    const status: CronJobStatus = { ...old, active: await this.activeRefs(cj, owned, signal) };
    for (const j of owned) {
      const finish = jobFinish(j);
      const done = finish?.type === "Complete" ? (parseTime(j.status?.completionTime) ?? finish.at) : undefined;
      if (done !== undefined && done > (parseTime(status.lastSuccessfulTime) ?? 0)) status.lastSuccessfulTime = formatTime(done);
    }
    await this.pruneHistory(cj, owned, signal);

    let requeueAfterMs: number | undefined;
    const schedule = spec.suspend ? undefined : this.schedule(spec.schedule, spec.timeZone);
    if (schedule instanceof CronParseError) {
      this.ctx.logger.warn({ ...log, err: schedule }, "unparseable schedule: not scheduling");
    } else if (schedule) {
      const scheduled = this.dueTime(cj, schedule, now);
      if (scheduled) await this.run(cj, scheduled, owned, status, signal);
      const next = schedule.next(now);
      // A little past the schedule time, so the clock has surely reached it.
      if (next) requeueAfterMs = next.getTime() - now.getTime() + 100;
    }
    status.active.sort((a, b) => a.name.localeCompare(b.name));
    if (!isDeepStrictEqual(status, old)) {
      const updated = batchV1CronJob.CronJob.fromPartial(cj);
      updated.status = status;
      try {
        await this.client.updateStatus(cronJobKind, updated, { signal });
        // Jobs that were active and finished: reported once, when they leave the active list.
        for (const j of owned) {
          const finish = jobFinish(j);
          if (finish && old.active.some((r) => r.uid === j.metadata!.uid)) {
            this.recorder.record(cronJobKind, cj, "Normal", "SawCompletedJob", `Saw completed job: ${j.metadata!.name}, status: ${finish.type}`);
          }
        }
      } catch (err) {
        // The cache is behind: the newer object's event reconciles this key again.
        if (!isConflict(err)) throw err;
      }
    }
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  }

  /**
   * The schedule time to run now, if any: the latest one since the last run (or creation) and,
   * with startingDeadlineSeconds, not older than that. Earlier missed times are skipped.
   */
  private dueTime(cj: CronJob, schedule: CronSchedule, now: Date): Date | undefined {
    const spec = cj.spec!;
    let earliest = parseTime(cj.status?.lastScheduleTime) ?? parseTime(cj.metadata?.creationTimestamp) ?? now.getTime();
    if (spec.startingDeadlineSeconds !== undefined) earliest = Math.max(earliest, now.getTime() - spec.startingDeadlineSeconds * 1000);
    const t = mostRecentScheduleTime(schedule, new Date(earliest), now);
    if (!t) return undefined;
    if (spec.startingDeadlineSeconds !== undefined && t.getTime() + spec.startingDeadlineSeconds * 1000 < now.getTime()) return undefined;
    return t;
  }

  /** Starts the Job for `scheduled` unless it exists or the concurrency policy forbids it; updates `status`. */
  private async run(cj: CronJob, scheduled: Date, owned: Job[], status: CronJobStatus, signal: AbortSignal): Promise<void> {
    const { namespace, name } = cj.metadata!;
    const log = { controller: "cronjob", namespace, name, scheduledTime: formatTime(scheduled) };
    const jobName = jobNameFor(name, scheduled);
    if (owned.some((j) => j.metadata!.name === jobName) || status.active.some((r) => r.name === jobName)) {
      // Already started (the status write after it was lost): only the record is missing.
      if ((parseTime(status.lastScheduleTime) ?? 0) < scheduled.getTime()) status.lastScheduleTime = formatTime(scheduled);
      return;
    }
    const policy = cj.spec!.concurrencyPolicy || "Allow";
    if (policy === "Forbid" && status.active.length > 0) {
      this.ctx.logger.info({ ...log, active: status.active.map((r) => r.name) }, "a previous Job is still active: skipping this run (concurrencyPolicy Forbid)");
      return;
    }
    if (policy === "Replace") {
      for (const ref of status.active) await this.deleteJob(cj, ref.name, ref.uid, signal);
      status.active = [];
    }
    const job = await this.createJob(cj, jobName, scheduled, signal);
    if (!job) return;
    status.active.push(jobRef(job));
    status.lastScheduleTime = formatTime(scheduled);
  }

  private async createJob(cj: CronJob, jobName: string, scheduled: Date, signal: AbortSignal): Promise<Job | undefined> {
    const { namespace, name, uid } = cj.metadata!;
    const template = cj.spec!.jobTemplate;
    const job = batchV1Job.Job.fromPartial({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: jobName,
        namespace,
        labels: { ...template?.metadata?.labels },
        annotations: { ...template?.metadata?.annotations, [SCHEDULED_TIMESTAMP_ANNOTATION]: formatInZone(scheduled, cj.spec!.timeZone) },
        ownerReferences: [newControllerRef({ ...cj, apiVersion: "batch/v1", kind: "CronJob" })],
      },
      spec: template?.spec,
    });
    try {
      const created = await this.client.create(jobKind, job, { signal });
      this.ctx.logger.info({ controller: "cronjob", namespace, name, job: jobName }, "created a Job");
      this.recorder.record(cronJobKind, cj, "Normal", "SuccessfulCreate", `Created job ${jobName}`);
      return created;
    } catch (err) {
      if (!isAlreadyExists(err)) {
        this.recorder.record(cronJobKind, cj, "Warning", "FailedCreate", `Error creating job: ${messageOf(err)}`);
        throw err;
      }
    }
    const existing = await this.client.get(jobKind, namespace, jobName, { signal });
    if (isControlledBy(existing, uid)) return existing;
    this.ctx.logger.warn({ controller: "cronjob", namespace, name, job: jobName }, "a Job with this run's name exists and is not ours: skipping the run");
    return undefined;
  }

  /**
   * The unfinished Jobs of the CronJob. A Job in the recorded status but not (yet) in the cache is
   * looked up, so a just-created Job is not forgotten by a reconcile that runs before its event.
   */
  private async activeRefs(cj: CronJob, owned: Job[], signal: AbortSignal): Promise<ObjectReference[]> {
    const refs = owned.filter((j) => !jobFinish(j)).map(jobRef);
    const known = new Set(owned.map((j) => j.metadata!.name));
    for (const ref of cj.status?.active ?? []) {
      if (known.has(ref.name)) continue;
      try {
        const job = await this.client.get(jobKind, cj.metadata!.namespace, ref.name, { signal });
        if (job.metadata?.uid === ref.uid && !job.metadata.deletionTimestamp && !jobFinish(job)) refs.push(jobRef(job));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return refs;
  }

  /** Deletes the oldest finished Jobs beyond successfulJobsHistoryLimit and failedJobsHistoryLimit. */
  private async pruneHistory(cj: CronJob, owned: Job[], signal: AbortSignal): Promise<void> {
    const spec = cj.spec!;
    const started = (j: Job): number => parseTime(j.status?.startTime) ?? parseTime(j.metadata?.creationTimestamp) ?? 0;
    for (const [type, limit] of [["Complete", spec.successfulJobsHistoryLimit], ["Failed", spec.failedJobsHistoryLimit]] as const) {
      if (limit === undefined) continue;
      const finished = owned.filter((j) => jobFinish(j)?.type === type).sort((a, b) => started(a) - started(b));
      for (const j of finished.slice(0, Math.max(0, finished.length - limit))) await this.deleteJob(cj, j.metadata!.name, j.metadata!.uid, signal);
    }
  }

  private async deleteJob(cj: CronJob, name: string, uid: string, signal: AbortSignal): Promise<void> {
    try {
      await this.client.delete(jobKind, cj.metadata!.namespace, name, { propagationPolicy: "Background", preconditions: { uid }, signal });
    } catch (err) {
      if (isNotFound(err)) return;
      // Kubernetes' wording, odd as it is.
      this.recorder.record(cronJobKind, cj, "Warning", "FailedDelete", `Deleted job: ${messageOf(err)}`);
      throw err;
    }
    this.recorder.record(cronJobKind, cj, "Normal", "SuccessfulDelete", `Deleted job ${name}`);
  }

  private schedule(text: string, timeZone: string | undefined): CronSchedule | CronParseError {
    const key = `${timeZone ?? ""}\n${text}`;
    let parsed = this.schedules.get(key);
    if (!parsed) {
      try {
        parsed = parseCronSchedule(text, timeZone);
      } catch (err) {
        if (!(err instanceof CronParseError)) throw err;
        parsed = err;
      }
      if (this.schedules.size > 10_000) this.schedules.clear();
      this.schedules.set(key, parsed);
    }
    return parsed;
  }
}

/** A reference to a Job as CronJob status lists it (no resourceVersion: it would change with every Job update). */
function jobRef(job: Job): ObjectReference {
  return coreV1Types.ObjectReference.fromPartial({ apiVersion: "batch/v1", kind: "Job", namespace: job.metadata!.namespace, name: job.metadata!.name, uid: job.metadata!.uid });
}
