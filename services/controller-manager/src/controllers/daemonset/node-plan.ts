// Where a DaemonSet's pods belong: per node, whether one should run and the one kept there; what to create and delete, and the rolling update's deletions.
import { coreV1Pod, type appsV1DaemonSet, type coreV1Node } from "@kubeplane/api";
import { CONTROLLER_REVISION_HASH } from "../util/controller-history.js";
import { isPodAvailable } from "../util/pod-util.js";
import { scaledValue } from "../util/scaled-value.js";
import { nodeShouldRunDaemonPod, type NodeEligibility } from "./node-eligibility.js";

type DaemonSet = appsV1DaemonSet.DaemonSet;
type Node = coreV1Node.Node;
type Pod = coreV1Pod.Pod;

/** One node as a sync sees it: may a daemon pod run there, and the daemon pod that runs there now. */
export interface NodePlan {
  node: string;
  eligibility: NodeEligibility;
  /** The pod kept on the node (not being deleted, not failed), if any. */
  pod?: Pod;
}

/** Per node: eligibility and the one daemon pod that is kept there. */
export function planNodes(ds: DaemonSet, daemonPods: readonly Pod[], nodes: readonly Node[]): NodePlan[] {
  const spec = ds.spec?.template?.spec ?? coreV1Pod.PodSpec.fromPartial({});
  const kept = new Map<string, Pod>();
  for (const pod of sortForKeeping(daemonPods.filter(isKeepable))) {
    const node = pod.spec?.nodeName ?? "";
    if (!kept.has(node)) kept.set(node, pod);
  }
  return nodes.map((node) => {
    const n = node.metadata!.name;
    return { node: n, eligibility: nodeShouldRunDaemonPod(node, spec), pod: kept.get(n) };
  });
}

/** Which nodes need a pod and which pods must go (duplicates, failed, misscheduled, orphaned by their node). */
export function podsToCreateAndDelete(plans: readonly NodePlan[], daemonPods: readonly Pod[]): { create: string[]; remove: Pod[] } {
  const create: string[] = [];
  const keep = new Set<Pod>();
  for (const p of plans) {
    if (p.pod && p.eligibility.shouldContinueRunning) keep.add(p.pod);
    else if (!p.pod && p.eligibility.shouldRun) create.push(p.node);
  }
  // Everything else not already being deleted goes: extra pods on a node, failed ones (replaced on
  // the next sync), pods on nodes that are no longer eligible or no longer exist.
  const remove = daemonPods.filter((pod) => !keep.has(pod) && !pod.metadata?.deletionTimestamp);
  return { create, remove };
}

/**
 * RollingUpdate: old-template pods are deleted while at most maxUnavailable eligible nodes lack an
 * available pod; a node whose pod is being replaced counts as unavailable until the new one is,
 * so the next batch waits for the replacements. Unavailable old pods go first, at no cost.
 */
export function rollingUpdateDeletions(ds: DaemonSet, plans: readonly NodePlan[], hash: string, now: Date): Pod[] {
  const eligible = plans.filter((p) => p.eligibility.shouldRun || (p.pod && p.eligibility.shouldContinueRunning));
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  const maxUnavailable = Math.max(1, scaledValue(ru?.maxUnavailable ?? "", eligible.length, true, 1));
  const minReady = ds.spec?.minReadySeconds ?? 0;
  let unavailable = 0;
  const remove: Pod[] = [];
  const candidates: Pod[] = [];
  for (const { pod } of eligible) {
    const old = pod !== undefined && pod.metadata?.labels[CONTROLLER_REVISION_HASH] !== hash;
    if (!pod || !isPodAvailable(pod, minReady, now)) {
      unavailable++;
      if (old) remove.push(pod);
    } else if (old) {
      candidates.push(pod);
    }
  }
  return [...remove, ...candidates.slice(0, Math.max(0, maxUnavailable - unavailable))];
}

function isKeepable(pod: Pod): boolean {
  return !pod.metadata?.deletionTimestamp && pod.status?.phase !== "Failed";
}

/** Oldest first (Kubernetes keeps the oldest of duplicate daemon pods), then by name for stability. */
function sortForKeeping(list: Pod[]): Pod[] {
  return [...list].sort((a, b) => {
    const ta = a.metadata?.creationTimestamp ?? "";
    const tb = b.metadata?.creationTimestamp ?? "";
    return ta !== tb ? (ta < tb ? -1 : 1) : a.metadata!.name < b.metadata!.name ? -1 : 1;
  });
}
