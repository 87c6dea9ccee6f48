// Integration tests of the Events the controllers record (ScalingReplicaSet, SuccessfulCreate, Completed, …) on a real apiserver, etcd and NATS.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { appsV1Deployment, batchV1CronJob, batchV1Job, isConflict, kindFor, type appsV1ReplicaSet, type coreV1Event, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { eventsAbout, finishPod, pods, startCmCluster, startFakeKubelets, type CmCluster } from "./harness.js";

type Deployment = appsV1Deployment.Deployment;
type ReplicaSet = appsV1ReplicaSet.ReplicaSet;
type Job = batchV1Job.Job;
type CronJob = batchV1CronJob.CronJob;
type Pod = coreV1Pod.Pod;
type Event = coreV1Event.Event;

const deployments = kindFor("apps/v1", "Deployment") as KindInfo<Deployment>;
const replicaSets = kindFor("apps/v1", "ReplicaSet") as KindInfo<ReplicaSet>;
const jobs = kindFor("batch/v1", "Job") as KindInfo<Job>;
const cronJobs = kindFor("batch/v1", "CronJob") as KindInfo<CronJob>;
const ns = "default";
const MINUTE = 60_000;

let cluster: CmCluster;
const stop = new AbortController();
let kubelets: Promise<void>;
/** The controller-manager's clock runs this far ahead of the real one (the CronJob test moves it). */
let skewMs = 0;

before(async () => {
  cluster = await startCmCluster();
  await cluster.startControllerManager({ controllers: ["deployment", "replicaset", "job", "cronjob"] }, () => new Date(Date.now() + skewMs));
  kubelets = startFakeKubelets(cluster, ["node-a"], stop.signal);
});

after(async () => {
  stop.abort();
  await kubelets;
  await cluster.stop();
});

/** The Events about the object with `uid`, oldest first. */
const withReason = (uid: string, reason: string): Promise<Event[]> => eventsAbout(cluster, ns, uid, reason);

async function podsOf(uid: string): Promise<Pod[]> {
  const list = await cluster.client.list(pods, { namespace: ns });
  return (list.items as Pod[]).filter((p) => p.metadata!.ownerReferences.some((r) => r.controller && r.uid === uid));
}


function jobSpec(spec: Partial<batchV1Job.JobSpec>): batchV1Job.JobSpec {
  return batchV1Job.JobSpec.fromPartial({ ...spec, template: { spec: { restartPolicy: "Never", containers: [{ name: "work", image: "busybox" }] } } });
}

test("scaling a Deployment records ScalingReplicaSet on it and one SuccessfulCreate or SuccessfulDelete per pod on its ReplicaSet", async () => {
  const d = (await cluster.client.create(
    deployments,
    appsV1Deployment.Deployment.fromPartial({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "events-web", namespace: ns },
      spec: { replicas: 0, selector: { matchLabels: { app: "events-web" } }, template: { metadata: { labels: { app: "events-web" } }, spec: { containers: [{ name: "app", image: "nginx" }] } } },
    }),
  )) as Deployment;
  const uid = d.metadata!.uid;
  const rs = await waitFor(
    async () => ((await cluster.client.list(replicaSets, { namespace: ns })).items as ReplicaSet[]).find((r) => r.metadata!.ownerReferences.some((o) => o.uid === uid)),
    { message: "the Deployment's ReplicaSet" },
  );
  const rsName = rs.metadata!.name;

  await cluster.client.patch(deployments, ns, "events-web", { spec: { replicas: 3 } });
  const [up] = await waitFor(async () => {
    const found = await withReason(uid, "ScalingReplicaSet");
    return found.length > 0 && found;
  }, { message: "ScalingReplicaSet on the Deployment" });
  assert.equal(up!.message, `Scaled up replica set ${rsName} to 3 from 0`);
  assert.equal(up!.type, "Normal");
  assert.equal(up!.source?.component, "deployment-controller");
  assert.deepEqual([up!.involvedObject?.apiVersion, up!.involvedObject?.kind, up!.involvedObject?.name], ["apps/v1", "Deployment", "events-web"]);

  const created = await waitFor(async () => {
    const found = await withReason(rs.metadata!.uid, "SuccessfulCreate");
    return found.length >= 3 && found;
  }, { message: "three SuccessfulCreate events on the ReplicaSet" });
  const podNames = (await podsOf(rs.metadata!.uid)).map((p) => p.metadata!.name).sort();
  assert.equal(podNames.length, 3);
  assert.deepEqual(created.map((e) => e.message).sort(), podNames.map((n) => `Created pod: ${n}`));
  for (const e of created) {
    assert.deepEqual([e.involvedObject?.apiVersion, e.involvedObject?.kind, e.involvedObject?.name], ["apps/v1", "ReplicaSet", rsName]);
    assert.equal(e.source?.component, "replicaset-controller");
    assert.equal(e.type, "Normal");
  }

  await cluster.client.patch(deployments, ns, "events-web", { spec: { replicas: 1 } });
  await waitFor(async () => (await withReason(uid, "ScalingReplicaSet")).some((e) => e.message === `Scaled down replica set ${rsName} to 1 from 3`), {
    message: "the scale-down event",
  });
  const deleted = await waitFor(async () => {
    const found = await withReason(rs.metadata!.uid, "SuccessfulDelete");
    return found.length >= 2 && found;
  }, { message: "two SuccessfulDelete events on the ReplicaSet" });
  const deletedNames = deleted.map((e) => e.message.replace(/^Deleted pod: /, ""));
  assert.equal(new Set(deletedNames).size, 2);
  for (const n of deletedNames) assert.ok(podNames.includes(n), `deleted ${n} is one of ${podNames.join(", ")}`);

  // Each action was recorded once, not on every reconcile that followed it.
  const all = await eventsAbout(cluster, ns, rs.metadata!.uid);
  assert.equal(all.filter((e) => e.reason === "SuccessfulCreate").length, 3);
  assert.ok(all.every((e) => e.count === 1), "no repeated event");
  // Listed in name order (the names end in random hex): compare sorted.
  assert.deepEqual((await withReason(uid, "ScalingReplicaSet")).map((e) => [e.message, e.count]).sort(), [
    [`Scaled down replica set ${rsName} to 1 from 3`, 1],
    [`Scaled up replica set ${rsName} to 3 from 0`, 1],
  ]);
});

test("a Job that runs to completion records SuccessfulCreate for its pod and then Completed", async () => {
  const job = (await cluster.client.create(jobs, batchV1Job.Job.fromPartial({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "events-done", namespace: ns }, spec: jobSpec({ completions: 1 }) }))) as Job;
  const uid = job.metadata!.uid;
  const [pod] = await waitFor(async () => {
    const found = await podsOf(uid);
    return found.length > 0 && found;
  }, { message: "the Job's pod" });
  const [create] = await waitFor(async () => {
    const found = await withReason(uid, "SuccessfulCreate");
    return found.length > 0 && found;
  }, { message: "SuccessfulCreate on the Job" });
  assert.equal(create!.message, `Created pod: ${pod!.metadata!.name}`);
  assert.equal(create!.source?.component, "job-controller");
  assert.deepEqual([create!.involvedObject?.kind, create!.involvedObject?.name], ["Job", "events-done"]);
  assert.equal((await withReason(uid, "Completed")).length, 0, "not completed before its pod succeeded");

  await finishPod(cluster, pod!, "Succeeded");
  const [completed] = await waitFor(async () => {
    const found = await withReason(uid, "Completed");
    return found.length > 0 && found;
  }, { message: "Completed on the Job" });
  assert.equal(completed!.message, "Job completed");
  assert.equal(completed!.type, "Normal");
  assert.equal(completed!.count, 1);
});

test("a Job whose pod fails past backoffLimit records a BackoffLimitExceeded warning", async () => {
  const job = (await cluster.client.create(
    jobs,
    batchV1Job.Job.fromPartial({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "events-fail", namespace: ns }, spec: jobSpec({ completions: 1, backoffLimit: 0 }) }),
  )) as Job;
  const uid = job.metadata!.uid;
  const [pod] = await waitFor(async () => {
    const found = await podsOf(uid);
    return found.length > 0 && found;
  }, { message: "the Job's pod" });
  await finishPod(cluster, pod!, "Failed");
  const [failed] = await waitFor(async () => {
    const found = await withReason(uid, "BackoffLimitExceeded");
    return found.length > 0 && found;
  }, { message: "BackoffLimitExceeded on the Job" });
  assert.equal(failed!.type, "Warning");
  assert.equal(failed!.message, "Job has reached the specified backoff limit");
  assert.equal((await withReason(uid, "Completed")).length, 0);
});

test("a CronJob records SuccessfulCreate for its Job, SawCompletedJob when it finishes and SuccessfulDelete when history drops it", async () => {
  const cj = (await cluster.client.create(
    cronJobs,
    batchV1CronJob.CronJob.fromPartial({
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "events-cron", namespace: ns },
      spec: { schedule: "* * * * *", successfulJobsHistoryLimit: 0, jobTemplate: { spec: jobSpec({ completions: 1 }) } },
    }),
  )) as CronJob;
  const uid = cj.metadata!.uid;
  const firstMinute = Math.floor(Date.parse(cj.metadata!.creationTimestamp) / MINUTE) * MINUTE + MINUTE;
  const jobName = `events-cron-${firstMinute / MINUTE}`;
  // The controller's clock jumps just past the first schedule time; a touch makes it look now.
  skewMs = firstMinute + 1000 - Date.now();
  await cluster.client.patch(cronJobs, ns, "events-cron", { metadata: { annotations: { "test/touch": "1" } } });

  const [create] = await waitFor(async () => {
    const found = await withReason(uid, "SuccessfulCreate");
    return found.length > 0 && found;
  }, { message: "SuccessfulCreate on the CronJob" });
  assert.equal(create!.message, `Created job ${jobName}`);
  assert.equal(create!.source?.component, "cronjob-controller");
  assert.deepEqual([create!.involvedObject?.kind, create!.involvedObject?.name], ["CronJob", "events-cron"]);

  const job = (await cluster.client.get(jobs, ns, jobName)) as Job;
  const [pod] = await waitFor(async () => {
    const found = await podsOf(job.metadata!.uid);
    return found.length > 0 && found;
  }, { message: "the scheduled Job's pod" });
  await finishPod(cluster, pod!, "Succeeded");

  const saw = await waitFor(async () => (await withReason(uid, "SawCompletedJob"))[0], { message: "SawCompletedJob on the CronJob" });
  assert.equal(saw.message, `Saw completed job: ${jobName}, status: Complete`);
  const removed = await waitFor(async () => (await withReason(uid, "SuccessfulDelete"))[0], { message: "SuccessfulDelete on the CronJob" });
  assert.equal(removed.message, `Deleted job ${jobName}`);
  // No further runs while the test suite ends.
  await cluster.client.patch(cronJobs, ns, "events-cron", { spec: { suspend: true } });
});
