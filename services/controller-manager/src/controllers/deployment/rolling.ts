// The arithmetic of rolling updates and scaling: fenceposts, new-RS growth, old-RS shrinkage, proportional scaling.
import type { appsV1Deployment, appsV1ReplicaSet } from "@kubeplane/api";
import { scaledValue } from "../util/scaled-value.js";
import {
  activeReplicaSets,
  byCreation,
  desiredReplicas,
  findActiveOrLatest,
  reliableAvailable,
  specReplicas,
  sumAvailable,
  sumPodsBound,
  sumSpec,
} from "./replica-sets.js";
import { desiredAnnotation, maxAnnotation } from "./revisions.js";

type Deployment = appsV1Deployment.Deployment;
type ReplicaSet = appsV1ReplicaSet.ReplicaSet;

/** A ReplicaSet and the size a step wants it at. */
export interface ScaleTarget {
  rs: ReplicaSet;
  replicas: number;
}

/**
 * maxSurge and maxUnavailable as pod counts of `desired` (ResolveFenceposts): surge rounds up,
 * unavailable down, and when both come out 0 one pod may be unavailable, or nothing could move.
 */
export function resolveFenceposts(maxSurge: string, maxUnavailable: string, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, desired, true);
  let unavailable = scaledValue(maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function isRollingUpdate(d: Deployment): boolean {
  return d.spec?.strategy?.type !== "Recreate";
}

function fenceposts(d: Deployment): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate;
  // Defaulting fills both; an object from before defaulting gets Kubernetes' 25%.
  return resolveFenceposts(ru?.maxSurge || "25%", ru?.maxUnavailable || "25%", desiredReplicas(d));
}

/** Pods allowed above replicas during a rollout (0 for Recreate). */
export function maxSurgeOf(d: Deployment): number {
  return isRollingUpdate(d) ? fenceposts(d).surge : 0;
}

/** Pods allowed below replicas during a rollout, never more than replicas (0 for Recreate). */
export function maxUnavailableOf(d: Deployment): number {
  const replicas = desiredReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  return Math.min(fenceposts(d).unavailable, replicas);
}

/**
 * The new RS's size for this step (NewRSNewReplicas): Recreate jumps to replicas; RollingUpdate
 * grows it by what is left of replicas+maxSurge, counting every RS's pods (podsBound).
 */
export function newReplicaSetReplicas(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet): number {
  const replicas = desiredReplicas(d);
  if (!isRollingUpdate(d)) return replicas;
  const current = specReplicas(newRS);
  const maxTotal = replicas + maxSurgeOf(d);
  const pods = sumPodsBound(allRSs);
  if (pods >= maxTotal) return current;
  return current + Math.max(0, Math.min(maxTotal - pods, replicas - current));
}

/**
 * How far old ReplicaSets shrink in this step (reconcileOldReplicaSets): never below
 * replicas−maxUnavailable available pods, counting the new RS's unavailable pods against the
 * budget; unavailable old pods go first (cleanupUnhealthyReplicas), then available ones, oldest
 * ReplicaSet first (scaleDownOldReplicaSetsForRollingUpdate).
 */
export function oldReplicaSetsScaleDown(d: Deployment, oldRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): ScaleTarget[] {
  const active = activeReplicaSets(oldRSs);
  if (sumSpec(active) === 0) return [];
  const all = newRS ? [...active, newRS] : [...active];
  const minAvailable = desiredReplicas(d) - maxUnavailableOf(d);
  const newUnavailable = newRS ? specReplicas(newRS) - reliableAvailable(newRS) : 0;
  const maxScaledDown = sumSpec(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return [];

  const sizes = new Map<ReplicaSet, number>(active.map((rs) => [rs, specReplicas(rs)]));
  const sorted = byCreation(active);
  let cleaned = 0;
  for (const rs of sorted) {
    if (cleaned >= maxScaledDown) break;
    const unhealthy = specReplicas(rs) - reliableAvailable(rs);
    if (unhealthy <= 0) continue;
    const n = Math.min(maxScaledDown - cleaned, unhealthy);
    sizes.set(rs, specReplicas(rs) - n);
    cleaned += n;
  }

  // Available pods are unaffected by removing unavailable ones, so the budget is counted as before.
  const available = sumAvailable(all);
  let budget = available - minAvailable;
  for (const rs of sorted) {
    if (budget <= 0) break;
    const size = sizes.get(rs)!;
    if (size === 0) continue;
    const n = Math.min(size, budget);
    sizes.set(rs, size - n);
    budget -= n;
  }
  return sorted.filter((rs) => sizes.get(rs) !== specReplicas(rs)).map((rs) => ({ rs, replicas: sizes.get(rs)! }));
}

/** The new RS is fully scaled and available at replicas (IsSaturated). */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const replicas = desiredReplicas(d);
  return specReplicas(rs) === replicas && desiredAnnotation(rs) === replicas && (rs.status?.availableReplicas ?? 0) === replicas;
}

/** Some active RS was sized for another replicas than the Deployment's now (isScalingEvent). */
export function isScalingEvent(d: Deployment, allRSs: readonly ReplicaSet[]): boolean {
  const replicas = desiredReplicas(d);
  return activeReplicaSets(allRSs).some((rs) => {
    const desired = desiredAnnotation(rs);
    return desired !== undefined && desired !== replicas;
  });
}

/** Go's math.Round: halves away from zero. */
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** How much of a resize this RS takes, by its share of max-replicas (getReplicaSetFraction). */
function fraction(rs: ReplicaSet, d: Deployment, statusReplicas: number): number {
  const replicas = desiredReplicas(d);
  if (replicas === 0) return -specReplicas(rs);
  const deploymentReplicas = replicas + maxSurgeOf(d);
  const annotated = maxAnnotation(rs) ?? statusReplicas;
  if (annotated === 0) return 0;
  return roundHalfAway((specReplicas(rs) * deploymentReplicas) / annotated) - specReplicas(rs);
}

/**
 * The sizes a change of replicas gives the ReplicaSets (scale): one active RS just takes the new
 * size; a saturated new RS lets the old ones go; during a rolling update the difference to
 * replicas+maxSurge is spread in proportion to each RS's size, the rounding left-over going to the
 * largest (newest on ties when growing, oldest when shrinking). Every RS considered is returned, so
 * the caller also refreshes its desired-replicas annotation when its size stays.
 */
export function scaleTargets(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ScaleTarget[] {
  const replicas = desiredReplicas(d);
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) return [{ rs: activeOrLatest, replicas }];
  if (isSaturated(d, newRS)) return activeReplicaSets(oldRSs).map((rs) => ({ rs, replicas: 0 }));
  if (!isRollingUpdate(d)) return [];

  const all = activeReplicaSets(newRS ? [...oldRSs, newRS] : [...oldRSs]);
  const allowed = replicas > 0 ? replicas + maxSurgeOf(d) : 0;
  const toAdd = allowed - sumSpec(all);
  const created = (rs: ReplicaSet): string => rs.metadata?.creationTimestamp ?? "";
  all.sort((a, b) => {
    if (specReplicas(a) !== specReplicas(b)) return specReplicas(b) - specReplicas(a);
    // Growing: newer first; shrinking: older first (ReplicaSetsBySizeNewer / BySizeOlder).
    return toAdd > 0 ? created(b).localeCompare(created(a)) : created(a).localeCompare(created(b));
  });
  const statusReplicas = d.status?.replicas ?? 0;
  const sizes = new Map<ReplicaSet, number>();
  let added = 0;
  for (const rs of all) {
    let proportion = 0;
    if (specReplicas(rs) !== 0 && toAdd !== added) {
      const f = fraction(rs, d, statusReplicas);
      const left = toAdd - added;
      proportion = toAdd > 0 ? Math.min(f, left) : Math.max(f, left);
    }
    sizes.set(rs, specReplicas(rs) + proportion);
    added += proportion;
  }
  if (added !== toAdd && all.length > 0) {
    const first = all[0]!;
    sizes.set(first, Math.max(0, sizes.get(first)! + toAdd - added));
  }
  return all.map((rs) => ({ rs, replicas: sizes.get(rs)! }));
}
