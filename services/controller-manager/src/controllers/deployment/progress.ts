// The Progressing condition: rollout progress, paused/resumed, and ProgressDeadlineExceeded with its wake-up.
import type { appsV1Deployment } from "@kubeplane/api";
import { deploymentComplete, getCondition, newCondition, removeCondition, setCondition } from "./status.js";

type Deployment = appsV1Deployment.Deployment;
type DeploymentStatus = appsV1Deployment.DeploymentStatus;

/** Reasons of the Progressing condition, as kube-controller-manager writes them. */
export const Reason = {
  newReplicaSetCreated: "NewReplicaSetCreated",
  foundNewReplicaSet: "FoundNewReplicaSet",
  replicaSetUpdated: "ReplicaSetUpdated",
  newReplicaSetAvailable: "NewReplicaSetAvailable",
  failedCreate: "ReplicaSetCreateError",
  timedOut: "ProgressDeadlineExceeded",
  paused: "DeploymentPaused",
  resumed: "DeploymentResumed",
} as const;

const maxInt32 = 2 ** 31 - 1;

/** progressDeadlineSeconds is set and not "forever" (HasProgressDeadline). */
export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== maxInt32;
}

/**
 * Marks a paused Deployment DeploymentPaused and a resumed one DeploymentResumed (Unknown), unless
 * it already timed out: that verdict stays until progress (checkPausedConditions). Mutates `status`.
 */
export function applyPausedCondition(d: Deployment, status: DeploymentStatus, now: Date): void {
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(status, "Progressing");
  if (cond?.reason === Reason.timedOut) return;
  const pausedCond = cond?.reason === Reason.paused;
  if (d.spec?.paused && !pausedCond) {
    setCondition(status, newCondition("Progressing", "Unknown", Reason.paused, "Deployment is paused", now));
  } else if (!d.spec?.paused && pausedCond) {
    setCondition(status, newCondition("Progressing", "Unknown", Reason.resumed, "Deployment is resumed", now));
  }
}

/** Compared with the last written status, more pods are updated, ready or available, or fewer are old (DeploymentProgressing). */
export function deploymentProgressing(previous: DeploymentStatus | undefined, next: DeploymentStatus): boolean {
  const p = { replicas: 0, updatedReplicas: 0, readyReplicas: 0, availableReplicas: 0, ...previous };
  return (
    next.updatedReplicas > p.updatedReplicas ||
    next.replicas - next.updatedReplicas < p.replicas - p.updatedReplicas ||
    next.readyReplicas > p.readyReplicas ||
    next.availableReplicas > p.availableReplicas
  );
}

/** No progress for progressDeadlineSeconds since the Progressing condition last moved (DeploymentTimedOut). */
export function deploymentTimedOut(d: Deployment, status: DeploymentStatus, now: Date): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(status, "Progressing");
  if (!cond || cond.reason === Reason.newReplicaSetAvailable) return false;
  if (cond.reason === Reason.timedOut) return true;
  const from = Date.parse(cond.lastUpdateTime);
  return Number.isFinite(from) && from + d.spec!.progressDeadlineSeconds! * 1000 < now.getTime();
}

/**
 * The Progressing condition for a rollout step (syncRolloutStatus): NewReplicaSetAvailable once
 * complete, ReplicaSetUpdated (lastUpdateTime moved, transition kept) on progress since
 * `previous`, ProgressDeadlineExceeded when stuck too long. Mutates `next`.
 */
export function applyProgressingCondition(d: Deployment, previous: DeploymentStatus | undefined, next: DeploymentStatus, newRSName: string | undefined, now: Date): void {
  if (!hasProgressDeadline(d)) {
    removeCondition(next, "Progressing");
    return;
  }
  const current = getCondition(next, "Progressing");
  const complete = next.replicas === next.updatedReplicas && current?.reason === Reason.newReplicaSetAvailable;
  if (complete) return;
  if (deploymentComplete(d, next)) {
    setCondition(next, newCondition("Progressing", "True", Reason.newReplicaSetAvailable, `ReplicaSet "${newRSName ?? ""}" has successfully progressed.`, now));
  } else if (deploymentProgressing(previous, next)) {
    const cond = newCondition("Progressing", "True", Reason.replicaSetUpdated, `ReplicaSet "${newRSName ?? ""}" is progressing.`, now);
    // Progress moves lastUpdateTime even when the reason stays: that is what the deadline counts from.
    if (current?.status === "True") cond.lastTransitionTime = current.lastTransitionTime;
    removeCondition(next, "Progressing");
    setCondition(next, cond);
  } else if (deploymentTimedOut(d, next, now)) {
    setCondition(next, newCondition("Progressing", "False", Reason.timedOut, `ReplicaSet "${newRSName ?? ""}" has timed out progressing.`, now));
  }
}

/**
 * When to look again so a stalled rollout is noticed at its deadline (requeueStuckDeployment), in
 * ms; undefined when nothing is pending (no deadline, complete, already timed out).
 */
export function msUntilProgressDeadline(d: Deployment, status: DeploymentStatus, now: Date): number | undefined {
  const cond = getCondition(status, "Progressing");
  if (!hasProgressDeadline(d) || !cond || deploymentComplete(d, status) || cond.reason === Reason.timedOut) return undefined;
  if (d.spec?.paused || cond.reason === Reason.newReplicaSetAvailable) return undefined;
  const from = Date.parse(cond.lastUpdateTime);
  if (!Number.isFinite(from)) return undefined;
  // Condition times have second precision and the deadline is strict: a second late is on time.
  return Math.max(0, from + d.spec!.progressDeadlineSeconds! * 1000 - now.getTime()) + 1000;
}
