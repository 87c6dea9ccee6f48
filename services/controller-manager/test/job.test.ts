// Integration tests of the Job controller on a real apiserver, etcd and NATS, with stand-in kubelets.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { batchV1Job, isConflict, kindFor, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { newJobController } from "../src/controllers/job/controller.js";
import { controllerRegistry } from "../src/index.js";
import { finishPod, pods, startCmCluster, startFakeKubelets, type CmCluster } from "./harness.js";

type Job = batchV1Job.Job;
type Pod = coreV1Pod.Pod;
const jobs = kindFor("batch/v1", "Job") as KindInfo<Job>;

let cluster: CmCluster;
const stop = new AbortController();
let kubelets: Promise<void>;
/** The controller-manager's clock runs this far ahead of the real one; tests move it forward. */
let skewMs = 0;

before(async () => {
  cluster = await startCmCluster();
  // The registered constructor with a short back-off, so failures are replaced within a test.
  controllerRegistry["job"] = (ctx) => {
    newJobController(ctx, { backoffBaseMs: 200, backoffMaxMs: 1000 });
  };
  await cluster.startControllerManager({ controllers: ["job"] }, () => new Date(Date.now() + skewMs));
  kubelets = startFakeKubelets(cluster, ["node-a", "node-b"], stop.signal);
});

after(async () => {
  stop.abort();
  await kubelets;
  await cluster.stop();
});

function newJob(name: string, spec: Partial<batchV1Job.JobSpec>): Job {
  return batchV1Job.Job.fromPartial({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: "default" },
    spec: {
      ...spec,
      template: { spec: { restartPolicy: "Never", containers: [{ name: "work", image: "busybox" }] } },
    },
  });
}

async function jobPods(job: Job): Promise<Pod[]> {
  const list = await cluster.client.list(pods, { namespace: "default", labelSelector: `batch.kubernetes.io/controller-uid=${job.metadata!.uid}` });
  return list.items as Pod[];
}

async function getJob(name: string): Promise<Job> {
  return (await cluster.client.get(jobs, "default", name)) as Job;
}


function condition(job: Job, type: string): batchV1Job.JobCondition | undefined {
  return job.status?.conditions.find((c) => c.type === type && c.status === "True");
}

test("a Job with completions=5, parallelism=2 never runs more than 2 pods at once and completes", async () => {
  const watchStop = new AbortController();
  const phases = new Map<string, string>();
  let maxActive = 0;
  let podsSeen = 0;
  const history = (async () => {
    for await (const ev of cluster.client.watch(pods, { namespace: "default", signal: watchStop.signal })) {
      const pod = ev.object as Pod;
      if (!pod.metadata?.name.startsWith("five-")) continue;
      if (ev.type === "DELETED") phases.delete(pod.metadata.name);
      else {
        if (!phases.has(pod.metadata.name) && ev.type === "ADDED") podsSeen++;
        phases.set(pod.metadata.name, pod.metadata.deletionTimestamp ? "Terminating" : pod.status!.phase);
      }
      const active = [...phases.values()].filter((p) => p === "Pending" || p === "Running").length;
      maxActive = Math.max(maxActive, active);
    }
  })();

  const job = (await cluster.client.create(jobs, newJob("five", { completions: 5, parallelism: 2 }))) as Job;
  let succeeded = 0;
  while (succeeded < 5) {
    const running = await waitFor(
      async () => {
        const r = (await jobPods(job)).filter((p) => p.status?.phase === "Running");
        return r.length > 0 ? r : undefined;
      },
      { message: "a running pod of the Job" },
    );
    await finishPod(cluster, running[0]!, "Succeeded");
    succeeded++;
  }
  const done = await waitFor(async () => {
    const j = await getJob("five");
    return condition(j, "Complete") ? j : undefined;
  }, { message: "the Job to complete" });
  assert.equal(done.status!.succeeded, 5);
  assert.equal(done.status!.failed, 0);
  assert.equal(done.status!.active, 0);
  assert.ok(done.status!.startTime, "startTime is set");
  assert.ok(done.status!.completionTime, "completionTime is set");
  assert.equal((await jobPods(job)).length, 5, "exactly 5 pods were ever created");
  watchStop.abort();
  await history;
  assert.ok(maxActive <= 2, `at most 2 pods active at once (saw ${maxActive})`);
  assert.equal(maxActive, 2, "the Job used its parallelism");
  assert.equal(podsSeen, 5);
  const pod = (await jobPods(job))[0]!;
  assert.equal(pod.metadata!.generateName, "five-");
  assert.deepEqual(pod.metadata!.ownerReferences.map((r) => [r.kind, r.name, r.controller]), [["Job", "five", true]]);
});

test("a Job whose pods fail beyond backoffLimit=1 fails with BackoffLimitExceeded", async () => {
  const job = (await cluster.client.create(jobs, newJob("flaky", { backoffLimit: 1 }))) as Job;
  for (let attempt = 1; attempt <= 2; attempt++) {
    const pod = await waitFor(async () => (await jobPods(job)).find((p) => p.status?.phase === "Running"), { message: `attempt ${attempt} running` });
    await finishPod(cluster, pod, "Failed");
  }
  const failed = await waitFor(async () => {
    const j = await getJob("flaky");
    return condition(j, "Failed") ? j : undefined;
  }, { message: "the Job to fail" });
  assert.equal(condition(failed, "Failed")!.reason, "BackoffLimitExceeded");
  assert.equal(failed.status!.failed, 2);
  assert.equal(failed.status!.active, 0);
  assert.equal(condition(failed, "Complete"), undefined);
  assert.equal((await jobPods(job)).length, 2, "no pod is started after the limit");
});

test("activeDeadlineSeconds fails the Job with DeadlineExceeded and stops its pods", async () => {
  const job = (await cluster.client.create(jobs, newJob("slow", { activeDeadlineSeconds: 30, parallelism: 2, completions: 4 }))) as Job;
  await waitFor(async () => (await jobPods(job)).filter((p) => p.status?.phase === "Running").length === 2, { message: "two running pods" });
  skewMs += 31_000;
  // Touch the Job so it is reconciled against the advanced clock.
  await cluster.client.patch(jobs, "default", "slow", { metadata: { annotations: { touched: "1" } } });
  const failed = await waitFor(async () => {
    const j = await getJob("slow");
    return condition(j, "Failed") ? j : undefined;
  }, { message: "the Job to pass its deadline" });
  assert.equal(condition(failed, "Failed")!.reason, "DeadlineExceeded");
  await waitFor(async () => (await jobPods(job)).length === 0, { message: "the Job's pods to be deleted" });
});

test("a suspended Job stops its pods and resumes; ttlSecondsAfterFinished deletes it once finished", async () => {
  const job = (await cluster.client.create(jobs, newJob("pausable", { ttlSecondsAfterFinished: 60 }))) as Job;
  await waitFor(async () => (await jobPods(job)).some((p) => p.status?.phase === "Running"), { message: "a running pod" });
  await cluster.client.patch(jobs, "default", "pausable", { spec: { suspend: true } });
  await waitFor(async () => condition(await getJob("pausable"), "Suspended"), { message: "the Suspended condition" });
  await waitFor(async () => (await jobPods(job)).length === 0, { message: "the suspended Job's pods to be deleted" });
  assert.equal((await getJob("pausable")).status!.active, 0);

  await cluster.client.patch(jobs, "default", "pausable", { spec: { suspend: false } });
  const pod = await waitFor(async () => (await jobPods(job)).find((p) => p.status?.phase === "Running"), { message: "a pod after resuming" });
  const resumed = await getJob("pausable");
  assert.equal(resumed.status!.conditions.find((c) => c.type === "Suspended")?.status, "False");
  await finishPod(cluster, pod, "Succeeded");
  await waitFor(async () => condition(await getJob("pausable"), "Complete"), { message: "the Job to complete" });

  skewMs += 61_000;
  await cluster.client.patch(jobs, "default", "pausable", { metadata: { annotations: { touched: "1" } } });
  await waitFor(async () => (await cluster.client.list(jobs, { namespace: "default" })).items.every((j) => j.metadata!.name !== "pausable"), { message: "the Job to be deleted after its TTL" });
});
