// Integration tests of the CronJob controller with an injected clock, on a real apiserver, etcd and NATS.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { batchV1CronJob, batchV1Job, kindFor, type KindInfo } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { SCHEDULED_TIMESTAMP_ANNOTATION } from "../src/controllers/cronjob/controller.js";
import type { ControllerManager } from "../src/index.js";
import { startCmCluster, type CmCluster } from "./harness.js";

type CronJob = batchV1CronJob.CronJob;
type Job = batchV1Job.Job;
const cronJobs = kindFor("batch/v1", "CronJob") as KindInfo<CronJob>;
const jobs = kindFor("batch/v1", "Job") as KindInfo<Job>;
const MINUTE = 60_000;

let cluster: CmCluster;
let cm: ControllerManager;
/** The controller-manager's clock: tests set it, then touch the CronJob so it is reconciled at once. */
let clock = Date.now();

before(async () => {
  cluster = await startCmCluster();
  // Only the CronJob controller runs: the tests play the Job controller by writing Job status.
  cm = await cluster.startControllerManager({ controllers: ["cronjob"] }, () => new Date(clock));
});

after(async () => {
  await cluster.stop();
});

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

async function createCronJob(name: string, spec: Partial<batchV1CronJob.CronJobSpec>): Promise<{ cj: CronJob; firstMinute: number }> {
  clock = Date.now();
  const cj = (await cluster.client.create(
    cronJobs,
    batchV1CronJob.CronJob.fromPartial({
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name, namespace: "default" },
      spec: {
        schedule: "* * * * *",
        ...spec,
        jobTemplate: {
          metadata: { labels: { app: name } },
          spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "tick", image: "busybox" }] } } },
        },
      },
    }),
  )) as CronJob;
  const created = Date.parse(cj.metadata!.creationTimestamp);
  return { cj, firstMinute: Math.floor(created / MINUTE) * MINUTE + MINUTE };
}

let touches = 0;
/** Sets the clock and makes the controller look at the CronJob now. */
async function at(ms: number, name: string): Promise<void> {
  clock = ms;
  await cluster.client.patch(cronJobs, "default", name, { metadata: { annotations: { "test/touch": String(++touches) } } });
}

async function jobsOf(name: string): Promise<Job[]> {
  const list = await cluster.client.list(jobs, { namespace: "default" });
  return (list.items as Job[]).filter((j) => j.metadata!.ownerReferences.some((r) => r.kind === "CronJob" && r.name === name)).sort((a, b) => a.metadata!.name.localeCompare(b.metadata!.name));
}

async function names(name: string): Promise<string[]> {
  return (await jobsOf(name)).map((j) => j.metadata!.name);
}

function jobName(cj: string, minute: number): string {
  return `${cj}-${minute / MINUTE}`;
}

async function getCronJob(name: string): Promise<CronJob> {
  return (await cluster.client.get(cronJobs, "default", name)) as CronJob;
}

/** Completed reconciles of the CronJob controller so far. */
async function reconciles(): Promise<number> {
  const metric = await cm.manager.metrics.reconcileTotal.get();
  return metric.values.filter((v) => v.labels.controller === "cronjob").reduce((n, v) => n + v.value, 0);
}

/** Touches the CronJob at `ms` and waits until the controller has reconciled since. */
async function reconciledAt(ms: number, name: string): Promise<void> {
  const before = await reconciles();
  await at(ms, name);
  await waitFor(async () => (await reconciles()) > before, { message: "a reconcile after the touch" });
}

/** Plays the Job controller: marks a Job Complete or Failed. */
async function finishJob(name: string, type: "Complete" | "Failed", startedAt: number): Promise<void> {
  const job = batchV1Job.Job.fromPartial((await cluster.client.get(jobs, "default", name)) as Job);
  job.status = batchV1Job.JobStatus.fromPartial({
    startTime: iso(startedAt),
    completionTime: type === "Complete" ? iso(startedAt + 10_000) : "",
    succeeded: type === "Complete" ? 1 : 0,
    failed: type === "Failed" ? 1 : 0,
    conditions: [{ type, status: "True", reason: type === "Failed" ? "BackoffLimitExceeded" : "CompletionsReached", lastTransitionTime: iso(startedAt + 10_000), lastProbeTime: iso(startedAt + 10_000) }],
  });
  await cluster.client.updateStatus(jobs, job);
}

test("a CronJob `* * * * *` fires once per minute of the injected clock", async () => {
  const { cj, firstMinute: m1 } = await createCronJob("every", {});
  await reconciledAt(m1 - 1000, "every");
  assert.deepEqual(await names("every"), [], "nothing runs before the first minute");

  await at(m1 + 5000, "every");
  const job = await waitFor(async () => (await jobsOf("every"))[0], { message: "the first run" });
  assert.equal(job.metadata!.name, jobName("every", m1));
  assert.equal(job.metadata!.annotations[SCHEDULED_TIMESTAMP_ANNOTATION], iso(m1));
  assert.equal(job.metadata!.labels.app, "every");
  assert.deepEqual(job.metadata!.ownerReferences.map((r) => [r.kind, r.uid, r.controller]), [["CronJob", cj.metadata!.uid, true]]);
  const status = await waitFor(async () => {
    const s = (await getCronJob("every")).status;
    return s?.lastScheduleTime === iso(m1) && s.active.length === 1 ? s : undefined;
  }, { message: "lastScheduleTime and active" });
  assert.equal(status.active[0]!.name, jobName("every", m1));

  // Allow: the next minute runs beside the still-active first Job; a touch within the minute adds nothing.
  await at(m1 + MINUTE + 5000, "every");
  await waitFor(async () => (await names("every")).length === 2, { message: "the second run" });
  await reconciledAt(m1 + MINUTE + 30_000, "every");
  assert.deepEqual(await names("every"), [jobName("every", m1), jobName("every", m1 + MINUTE)]);
  await waitFor(async () => (await getCronJob("every")).status?.active.length === 2, { message: "two active Jobs" });

  // A finished Job leaves the active list and records the last success.
  await finishJob(jobName("every", m1), "Complete", m1);
  const after = await waitFor(async () => {
    const s = (await getCronJob("every")).status;
    return s?.active.length === 1 && s.lastSuccessfulTime ? s : undefined;
  }, { message: "the finished Job to leave active" });
  assert.equal(after.lastSuccessfulTime, iso(m1 + 10_000));
});

test("Forbid skips a run while the previous Job is active", async () => {
  const { firstMinute: m1 } = await createCronJob("forbid", { concurrencyPolicy: "Forbid" });
  await at(m1 + 5000, "forbid");
  await waitFor(async () => (await getCronJob("forbid")).status?.active.length === 1, { message: "the first run to be active" });

  await reconciledAt(m1 + MINUTE + 5000, "forbid");
  assert.deepEqual(await names("forbid"), [jobName("forbid", m1)], "no second Job while the first is active");
  assert.equal((await getCronJob("forbid")).status!.lastScheduleTime, iso(m1));

  // Once the first finishes, the latest schedule time runs; the skipped one never does.
  clock = m1 + 2 * MINUTE + 5000;
  await finishJob(jobName("forbid", m1), "Complete", m1);
  await waitFor(async () => (await names("forbid")).length === 2, { message: "the run after the active Job finished" });
  assert.deepEqual(await names("forbid"), [jobName("forbid", m1), jobName("forbid", m1 + 2 * MINUTE)]);
});

test("Replace deletes the active Job and starts the new one", async () => {
  const { firstMinute: m1 } = await createCronJob("replace", { concurrencyPolicy: "Replace" });
  await at(m1 + 5000, "replace");
  await waitFor(async () => (await names("replace")).length === 1, { message: "the first run" });
  await at(m1 + MINUTE + 5000, "replace");
  await waitFor(async () => (await names("replace")).join() === jobName("replace", m1 + MINUTE), { message: "the first Job replaced by the second" });
});

test("startingDeadlineSeconds skips runs missed by more; suspend stops scheduling", async () => {
  const { firstMinute: m1 } = await createCronJob("late", { startingDeadlineSeconds: 10, schedule: "0 * * * *" });
  const hour = Math.ceil(m1 / 3_600_000) * 3_600_000;
  await reconciledAt(hour + 30_000, "late");
  assert.deepEqual(await names("late"), [], "a run 30 s late with a 10 s deadline is skipped");
  await at(hour + 3_600_000 + 5000, "late");
  await waitFor(async () => (await names("late")).length === 1, { message: "the next run within its deadline" });

  await cluster.client.patch(cronJobs, "default", "late", { spec: { suspend: true } });
  await reconciledAt(hour + 2 * 3_600_000 + 5000, "late");
  assert.equal((await names("late")).length, 1, "a suspended CronJob starts nothing");
});

test("history limits keep only the newest finished Jobs", async () => {
  const { firstMinute: m1 } = await createCronJob("hist", { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 });
  const run = async (i: number, outcome: "Complete" | "Failed"): Promise<void> => {
    const minute = m1 + i * MINUTE;
    await at(minute + 5000, "hist");
    await waitFor(async () => (await names("hist")).includes(jobName("hist", minute)), { message: `run ${i}` });
    await finishJob(jobName("hist", minute), outcome, minute);
  };
  await run(0, "Complete");
  await run(1, "Complete");
  await run(2, "Complete");
  await waitFor(async () => (await names("hist")).join() === jobName("hist", m1 + 2 * MINUTE), { message: "only the newest successful Job left" });
  await run(3, "Failed");
  await run(4, "Failed");
  await waitFor(async () => (await names("hist")).join() === [jobName("hist", m1 + 2 * MINUTE), jobName("hist", m1 + 4 * MINUTE)].join(), {
    message: "the newest successful and the newest failed Job left",
  });
  // Status follows the Jobs asynchronously: wait for it to show none active.
  const status = await waitFor(async () => {
    const st = (await getCronJob("hist")).status!;
    return st.active.length === 0 ? st : undefined;
  }, { message: "no active Jobs in status" });
  assert.equal(status.lastSuccessfulTime, iso(m1 + 2 * MINUTE + 10_000));
});
