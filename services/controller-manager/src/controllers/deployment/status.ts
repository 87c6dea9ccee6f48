// A Deployment's status from its ReplicaSets: counts, the Available condition, and condition bookkeeping.
import { appsV1Deployment, type appsV1ReplicaSet } from "@kubeplane/api";
import { maxUnavailableOf } from "./rolling.js";
import { desiredReplicas, sumActual, sumAvailable, sumReady, sumSpec } from "./replica-sets.js";

type Deployment = appsV1Deployment.Deployment;
type DeploymentStatus = appsV1Deployment.DeploymentStatus;
type DeploymentCondition = appsV1Deployment.DeploymentCondition;
type ReplicaSet = appsV1ReplicaSet.ReplicaSet;

/** RFC 3339 with second precision, as the API stores times. */
export function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions.find((c) => c.type === type);
}

export function newCondition(type: string, status: string, reason: string, message: string, now: Date): DeploymentCondition {
  const t = timestamp(now);
  return { type, status, reason, message, lastUpdateTime: t, lastTransitionTime: t };
}

/**
 * Puts `condition` into `status` (SetDeploymentCondition): nothing changes when status and reason
 * are the same as the current one's, and lastTransitionTime is kept while the status stays.
 */
export function setCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const current = getCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  const next = current && current.status === condition.status ? { ...condition, lastTransitionTime: current.lastTransitionTime } : condition;
  status.conditions = [...status.conditions.filter((c) => c.type !== condition.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  status.conditions = status.conditions.filter((c) => c.type !== type);
}

/**
 * The status the ReplicaSets add up to (calculateStatus), on top of `current`'s conditions and
 * collisionCount: replicas/ready/available summed from the RS statuses, updatedReplicas the new
 * RS's, unavailable the wanted pods not available, and Available by replicas−maxUnavailable.
 */
export function calculateStatus(d: Deployment, current: DeploymentStatus, allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined, now: Date): DeploymentStatus {
  const available = sumAvailable(allRSs);
  const status = appsV1Deployment.DeploymentStatus.fromPartial({
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: sumActual(allRSs),
    updatedReplicas: newRS ? sumActual([newRS]) : 0,
    readyReplicas: sumReady(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, sumSpec(allRSs) - available),
    conditions: current.conditions.map((c) => ({ ...c })),
    collisionCount: current.collisionCount,
  });
  if (available >= desiredReplicas(d) - maxUnavailableOf(d)) {
    setCondition(status, newCondition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", now));
  } else {
    setCondition(status, newCondition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", now));
  }
  return status;
}

/** Every pod is updated and available and the spec was seen (DeploymentComplete). */
export function deploymentComplete(d: Deployment, status: DeploymentStatus): boolean {
  const replicas = desiredReplicas(d);
  return (
    status.updatedReplicas === replicas &&
    status.replicas === replicas &&
    status.availableReplicas === replicas &&
    status.observedGeneration >= (d.metadata?.generation ?? 0)
  );
}

/** Whether writing `next` over `previous` changes anything. */
export function statusChanged(previous: DeploymentStatus | undefined, next: DeploymentStatus): boolean {
  const before = appsV1Deployment.DeploymentStatus.toJSON(appsV1Deployment.DeploymentStatus.fromPartial(previous ?? {}));
  return JSON.stringify(before) !== JSON.stringify(appsV1Deployment.DeploymentStatus.toJSON(next));
}
