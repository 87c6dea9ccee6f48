// Kubernetes' ActivePods ranking: which of a replica controller's pods to delete first.
import type { coreV1Pod } from "@kubeplane/api";
import { isPodReady, readySinceMs } from "../util/pod-util.js";

type Pod = coreV1Pod.Pod;

const phaseOrdinal: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function timeOf(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** `a` sorts first when it is later than `b`, or when either time is unknown and `a`'s is (afterOrZero). */
function afterOrZero(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === undefined;
  return a > b;
}

function maxRestarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((s) => s.restartCount ?? 0));
}

/**
 * Orders pods so the ones to delete first come first (controller.ActivePodsWithRanks): unscheduled
 * before scheduled, Pending before Unknown before Running, not ready before ready, pods doubled
 * up on a node (more siblings there) before lone ones, recently ready before long ready, more
 * restarts before fewer, newer before older. Returns a new array.
 */
export function rankPodsForDeletion(pods: readonly Pod[]): Pod[] {
  // Siblings on the same node: deleting where they pile up spreads what remains.
  const perNode = new Map<string, number>();
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (node) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const rank = (p: Pod): number => (p.spec?.nodeName ? (perNode.get(p.spec.nodeName) ?? 0) : 0);
  const before = (a: Pod, b: Pod): number => {
    const aNode = Boolean(a.spec?.nodeName);
    const bNode = Boolean(b.spec?.nodeName);
    if (aNode !== bNode) return aNode ? 1 : -1;
    const aPhase = phaseOrdinal[a.status?.phase ?? ""] ?? 0;
    const bPhase = phaseOrdinal[b.status?.phase ?? ""] ?? 0;
    if (aPhase !== bPhase) return aPhase - bPhase;
    const aReady = isPodReady(a);
    const bReady = isPodReady(b);
    if (aReady !== bReady) return aReady ? 1 : -1;
    const aRank = rank(a);
    const bRank = rank(b);
    if (aRank !== bRank) return bRank - aRank;
    if (aReady && bReady) {
      const aSince = readySinceMs(a);
      const bSince = readySinceMs(b);
      if (aSince !== bSince) return afterOrZero(aSince, bSince) ? -1 : 1;
    }
    const aRestarts = maxRestarts(a);
    const bRestarts = maxRestarts(b);
    if (aRestarts !== bRestarts) return bRestarts - aRestarts;
    const aCreated = timeOf(a.metadata?.creationTimestamp);
    const bCreated = timeOf(b.metadata?.creationTimestamp);
    if (aCreated !== bCreated) return afterOrZero(aCreated, bCreated) ? -1 : 1;
    return 0;
  };
  return [...pods].sort(before);
}
