// How the Deployment controller counts and orders its ReplicaSets (deployment/util's ReplicaSet helpers).
import { labelSelectorFromObject, type appsV1Deployment, type appsV1ReplicaSet, type LabelSelector } from "@kubeplane/api";
import { equalIgnoringHash } from "./pod-template-hash.js";

type Deployment = appsV1Deployment.Deployment;
type ReplicaSet = appsV1ReplicaSet.ReplicaSet;

/** spec.replicas (the apiserver defaults it to 1). */
export function specReplicas(rs: ReplicaSet): number {
  return rs.spec?.replicas ?? 1;
}

/** The Deployment's spec.replicas. */
export function desiredReplicas(d: Deployment): number {
  return d.spec?.replicas ?? 1;
}

/**
 * The pods an RS may have at the moment: its spec, or more while the ReplicaSet controller has not
 * yet reported a scale-down as done. Counting this instead of spec alone keeps a new RS from
 * growing before an old one actually shrank, so maxSurge holds for pods, not only for specs.
 */
export function podsBound(rs: ReplicaSet): number {
  return Math.max(specReplicas(rs), rs.status?.replicas ?? 0);
}

/**
 * Available pods an RS can be relied on for: status.availableReplicas, but never more than spec,
 * since pods beyond spec are about to be deleted even if the status does not say so yet.
 */
export function reliableAvailable(rs: ReplicaSet): number {
  return Math.min(rs.status?.availableReplicas ?? 0, specReplicas(rs));
}

export function sumSpec(list: readonly ReplicaSet[]): number {
  return list.reduce((n, rs) => n + specReplicas(rs), 0);
}

export function sumPodsBound(list: readonly ReplicaSet[]): number {
  return list.reduce((n, rs) => n + podsBound(rs), 0);
}

/** status.replicas summed (GetActualReplicaCountForReplicaSets). */
export function sumActual(list: readonly ReplicaSet[]): number {
  return list.reduce((n, rs) => n + (rs.status?.replicas ?? 0), 0);
}

export function sumReady(list: readonly ReplicaSet[]): number {
  return list.reduce((n, rs) => n + (rs.status?.readyReplicas ?? 0), 0);
}

export function sumAvailable(list: readonly ReplicaSet[]): number {
  return list.reduce((n, rs) => n + reliableAvailable(rs), 0);
}

/** ReplicaSets with pods wanted (FilterActiveReplicaSets). */
export function activeReplicaSets(list: readonly ReplicaSet[]): ReplicaSet[] {
  return list.filter((rs) => specReplicas(rs) > 0);
}

/** Oldest first; ties by name (ReplicaSetsByCreationTimestamp). Returns a new array. */
export function byCreation(list: readonly ReplicaSet[]): ReplicaSet[] {
  return [...list].sort((a, b) => {
    const ta = a.metadata?.creationTimestamp ?? "";
    const tb = b.metadata?.creationTimestamp ?? "";
    if (ta !== tb) return ta < tb ? -1 : 1;
    const na = a.metadata?.name ?? "";
    const nb = b.metadata?.name ?? "";
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
}

/** The oldest ReplicaSet whose template is the Deployment's (FindNewReplicaSet). */
export function findNewReplicaSet(d: Deployment, list: readonly ReplicaSet[]): ReplicaSet | undefined {
  return byCreation(list).find((rs) => equalIgnoringHash(rs.spec?.template, d.spec?.template));
}

/** Every ReplicaSet but the new one (FindOldReplicaSets' allRSs). */
export function findOldReplicaSets(d: Deployment, list: readonly ReplicaSet[]): ReplicaSet[] {
  const fresh = findNewReplicaSet(d, list);
  return list.filter((rs) => rs !== fresh);
}

/**
 * The one ReplicaSet that has pods wanted, or the newest when none has (FindActiveOrLatest);
 * undefined while several have: that is a rollout, not a plain scale.
 */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  const sorted = byCreation(oldRSs);
  const all = activeReplicaSets(newRS ? [...sorted, newRS] : sorted);
  if (all.length === 1) return all[0];
  if (all.length > 1) return undefined;
  return newRS ?? sorted.at(-1);
}

/** The Deployment's selector, parsed; throws a SelectorParseError when it is invalid. */
export function deploymentSelector(d: Deployment): LabelSelector {
  // The generated type spells operators as plain strings; validation already admitted them.
  return labelSelectorFromObject(d.spec?.selector as Parameters<typeof labelSelectorFromObject>[0]);
}
