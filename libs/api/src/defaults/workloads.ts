// Kubernetes' defaults for workloads: Deployment, ReplicaSet, DaemonSet, StatefulSet, ReplicationController, Job, CronJob.
import type { DaemonSet } from "../gen/kubeplane/apps/v1/daemon_set.js";
import type { Deployment } from "../gen/kubeplane/apps/v1/deployment.js";
import type { ReplicaSet } from "../gen/kubeplane/apps/v1/replica_set.js";
import type { StatefulSet } from "../gen/kubeplane/apps/v1/stateful_set.js";
import type { CronJob } from "../gen/kubeplane/batch/v1/cron_job.js";
import type { Job } from "../gen/kubeplane/batch/v1/job.js";
import type { ReplicationController } from "../gen/kubeplane/core/v1/replication_controller.js";
import { defaultPvc } from "./storage.js";
import { defaultPodTemplate } from "./pod.js";

/** SetDefaults_Deployment (apps/v1). */
export function defaultDeployment(d: Deployment): void {
  const s = d.spec;
  if (!s) return;
  s.replicas ??= 1;
  s.strategy ??= { type: "" };
  if (s.strategy.type === "") s.strategy.type = "RollingUpdate";
  if (s.strategy.type === "RollingUpdate") {
    s.strategy.rollingUpdate ??= { maxUnavailable: "", maxSurge: "" };
    if (s.strategy.rollingUpdate.maxUnavailable === "") s.strategy.rollingUpdate.maxUnavailable = "25%";
    if (s.strategy.rollingUpdate.maxSurge === "") s.strategy.rollingUpdate.maxSurge = "25%";
  }
  s.revisionHistoryLimit ??= 10;
  s.progressDeadlineSeconds ??= 600;
  defaultPodTemplate(s.template);
}

/** SetDefaults_ReplicaSet (apps/v1). */
export function defaultReplicaSet(rs: ReplicaSet): void {
  if (!rs.spec) return;
  rs.spec.replicas ??= 1;
  defaultPodTemplate(rs.spec.template);
}

/** SetDefaults_ReplicationController: replicas 1; selector and labels default to the template's labels. */
export function defaultReplicationController(rc: ReplicationController): void {
  const s = rc.spec;
  if (!s) return;
  const labels = s.template?.metadata?.labels ?? {};
  if (Object.keys(s.selector).length === 0) s.selector = { ...labels };
  if (rc.metadata && Object.keys(rc.metadata.labels).length === 0) rc.metadata.labels = { ...labels };
  s.replicas ??= 1;
  defaultPodTemplate(s.template);
}

/** SetDefaults_DaemonSet (apps/v1). */
export function defaultDaemonSet(ds: DaemonSet): void {
  const s = ds.spec;
  if (!s) return;
  s.updateStrategy ??= { type: "" };
  if (s.updateStrategy.type === "") s.updateStrategy.type = "RollingUpdate";
  if (s.updateStrategy.type === "RollingUpdate") {
    s.updateStrategy.rollingUpdate ??= { maxUnavailable: "", maxSurge: "" };
    if (s.updateStrategy.rollingUpdate.maxUnavailable === "") s.updateStrategy.rollingUpdate.maxUnavailable = "1";
    if (s.updateStrategy.rollingUpdate.maxSurge === "") s.updateStrategy.rollingUpdate.maxSurge = "0";
  }
  s.revisionHistoryLimit ??= 10;
  defaultPodTemplate(s.template);
}

/** SetDefaults_StatefulSet (apps/v1). */
export function defaultStatefulSet(sts: StatefulSet): void {
  const s = sts.spec;
  if (!s) return;
  if (s.podManagementPolicy === "") s.podManagementPolicy = "OrderedReady";
  s.updateStrategy ??= { type: "" };
  if (s.updateStrategy.type === "") s.updateStrategy.type = "RollingUpdate";
  if (s.updateStrategy.type === "RollingUpdate") {
    s.updateStrategy.rollingUpdate ??= { maxUnavailable: "" };
    s.updateStrategy.rollingUpdate.partition ??= 0;
  }
  s.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: "", whenScaled: "" };
  if (s.persistentVolumeClaimRetentionPolicy.whenDeleted === "") s.persistentVolumeClaimRetentionPolicy.whenDeleted = "Retain";
  if (s.persistentVolumeClaimRetentionPolicy.whenScaled === "") s.persistentVolumeClaimRetentionPolicy.whenScaled = "Retain";
  s.replicas ??= 1;
  s.revisionHistoryLimit ??= 10;
  for (const pvc of s.volumeClaimTemplates) defaultPvc(pvc);
  defaultPodTemplate(s.template);
}

/** SetDefaults_Job: parallelism/completions, backoffLimit, completionMode, suspend, podReplacementPolicy; no restartPolicy. */
export function defaultJob(job: Job): void {
  const s = job.spec;
  if (!s) return;
  if (s.completions === undefined && s.parallelism === undefined) s.completions = 1;
  s.parallelism ??= 1;
  s.backoffLimit ??= s.backoffLimitPerIndex === undefined ? 6 : 2147483647;
  s.completionMode ??= "NonIndexed";
  s.suspend ??= false;
  s.podReplacementPolicy ??= "TerminatingOrFailed";
  defaultPodTemplate(s.template, "");
}

/** SetDefaults_CronJob; the job template gets pod defaults only, as in Kubernetes. */
export function defaultCronJob(cj: CronJob): void {
  const s = cj.spec;
  if (!s) return;
  if (s.concurrencyPolicy === "") s.concurrencyPolicy = "Allow";
  s.suspend ??= false;
  s.successfulJobsHistoryLimit ??= 3;
  s.failedJobsHistoryLimit ??= 1;
  defaultPodTemplate(s.jobTemplate?.spec?.template, "");
}
