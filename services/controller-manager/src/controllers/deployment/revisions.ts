// Revision annotations on a Deployment's ReplicaSets, and which old ReplicaSets revisionHistoryLimit lets go.
import type { appsV1Deployment, appsV1ReplicaSet } from "@kubeplane/api";
import { specReplicas } from "./replica-sets.js";

type Deployment = appsV1Deployment.Deployment;
type ReplicaSet = appsV1ReplicaSet.ReplicaSet;

export const REVISION = "deployment.kubernetes.io/revision";
export const REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";

/** Annotations of the Deployment that are not copied to its ReplicaSets (skipCopyAnnotation). */
const notCopied = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  "deprecated.deployment.rollback.to",
]);

/** The RS's revision; 0 when it has none or it is not a number. */
export function revisionOf(rs: ReplicaSet): number {
  const n = Number(rs.metadata?.annotations[REVISION] ?? "");
  return Number.isInteger(n) && n > 0 ? n : 0;
}

export function maxRevision(list: readonly ReplicaSet[]): number {
  return list.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** Sets desired- and max-replicas; true when they changed (SetReplicasAnnotations). */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata!.annotations;
  if (a[DESIRED_REPLICAS] === String(desired) && a[MAX_REPLICAS] === String(max)) return false;
  a[DESIRED_REPLICAS] = String(desired);
  a[MAX_REPLICAS] = String(max);
  return true;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations ?? {};
  return a[DESIRED_REPLICAS] !== String(desired) || a[MAX_REPLICAS] !== String(max);
}

/** The desired-replicas annotation, if it is a number. */
export function desiredAnnotation(rs: ReplicaSet): number | undefined {
  const raw = rs.metadata?.annotations[DESIRED_REPLICAS];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) ? n : undefined;
}

export function maxAnnotation(rs: ReplicaSet): number | undefined {
  const raw = rs.metadata?.annotations[MAX_REPLICAS];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) ? n : undefined;
}

/**
 * Brings the new RS's annotations in line with the Deployment (SetNewReplicaSetAnnotations): the
 * Deployment's own annotations, the revision raised to `newRevision` when it is behind — an old RS
 * that becomes new again (a rollback) keeps its earlier revision in revision-history — and, for a
 * ReplicaSet about to be created, desired- and max-replicas. Mutates `rs`; true when it changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean, maxSurge: number): boolean {
  const a = rs.metadata!.annotations;
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (notCopied.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const old = a[REVISION];
  const oldRevision = old === undefined ? 0 : Number(old);
  if (!Number.isFinite(oldRevision)) return changed;
  if (oldRevision < newRevision) {
    a[REVISION] = String(newRevision);
    changed = true;
    if (old !== undefined) a[REVISION_HISTORY] = a[REVISION_HISTORY] ? `${a[REVISION_HISTORY]},${old}` : old;
  }
  const replicas = d.spec?.replicas ?? 1;
  if (!exists && setReplicasAnnotations(rs, replicas, replicas + maxSurge)) changed = true;
  return changed;
}

/**
 * The old ReplicaSets beyond revisionHistoryLimit that may be deleted, lowest revision first
 * (cleanupDeployment): only those scaled to zero, with no pods left, whose status caught up.
 */
export function replicaSetsToCleanUp(oldRSs: readonly ReplicaSet[], revisionHistoryLimit: number | undefined): ReplicaSet[] {
  if (revisionHistoryLimit === undefined) return [];
  const alive = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
  const excess = alive.length - revisionHistoryLimit;
  if (excess <= 0) return [];
  return [...alive]
    .sort((a, b) => revisionOf(a) - revisionOf(b) || (a.metadata?.creationTimestamp ?? "").localeCompare(b.metadata?.creationTimestamp ?? ""))
    .slice(0, excess)
    .filter((rs) => (rs.status?.replicas ?? 0) === 0 && specReplicas(rs) === 0 && (rs.metadata?.generation ?? 0) <= (rs.status?.observedGeneration ?? 0));
}
