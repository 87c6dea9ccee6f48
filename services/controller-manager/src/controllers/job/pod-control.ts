// The Job controller's pod writes: slow-start creation and deletion, with expectations and events.
import { coreV1Pod, isNotFound, kindFor, type batchV1Job, type KindInfo } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import { newControllerRef, type Expectations } from "@kubeplane/controller";
import { messageOf, type EventRecorder } from "../event-recorders.js";
import { isNamespaceTerminating } from "../util/namespace-terminating.js";

type Job = batchV1Job.Job;
type Pod = coreV1Pod.Pod;

const jobKind = kindFor("batch/v1", "Job") as KindInfo<Job>;
const podKind = kindFor("v1", "Pod") as KindInfo<Pod>;

/** Creates and deletes a Job's pods, telling `expectations` what the informer will show. Stateless between calls. */
export class JobPodControl {
  constructor(
    private readonly client: ApiClient,
    private readonly recorder: EventRecorder,
    private readonly expectations: Expectations,
  ) {}

  /** Starts `count` pods in batches of 1, 2, 4… (slow start: a failing create costs one call, not hundreds). */
  async createPods(key: string, job: Job, count: number, signal: AbortSignal): Promise<number> {
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

  /** Deletes `pods` (uid preconditions), recording an event for each; throws after trying them all if one failed. */
  async removePods(key: string, job: Job, pods: Pod[], signal: AbortSignal): Promise<void> {
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
