// Which of a node's pods `kpctl drain` evicts, skips or refuses (kubectl's drain filters: mirror, DaemonSet, unreplicated, local storage).
import type { JsonObject } from "@kubeplane/client";

/** The fields of a pod the filters read. */
export interface DrainPod extends JsonObject {
  metadata?: { name?: string; namespace?: string; uid?: string; annotations?: Record<string, string>; ownerReferences?: { kind?: string; name?: string; controller?: boolean }[]; deletionTimestamp?: string };
  spec?: { volumes?: { emptyDir?: unknown }[] };
  status?: { phase?: string };
}

/** Drain's choices. */
export interface DrainFilterOptions {
  ignoreDaemonSets: boolean;
  deleteEmptyDirData: boolean;
  /** Also pods that declare no controller (they are not recreated elsewhere). */
  force: boolean;
}

/** The pods to evict, the warnings to print, and the problems that stop the drain (kubectl's wording). */
export interface DrainPlan {
  evict: DrainPod[];
  warnings: string[];
  errors: string[];
}

const ref = (p: DrainPod): string => `${p.metadata?.namespace ?? ""}/${p.metadata?.name ?? ""}`;

/** Sorts the node's pods into evict / skip (with warnings) / refuse, as kubectl drain's filters do. */
export function planDrain(pods: readonly DrainPod[], opts: DrainFilterOptions): DrainPlan {
  const evict: DrainPod[] = [];
  const daemonSetPods: string[] = [];
  const unreplicated: string[] = [];
  const localStorage: string[] = [];
  const refusedDaemonSet: string[] = [];
  const refusedUnreplicated: string[] = [];
  const refusedLocal: string[] = [];
  for (const pod of pods) {
    if (pod.metadata?.annotations?.["kubernetes.io/config.mirror"] !== undefined) continue; // the kubelet's own: it cannot be evicted
    const finished = pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
    const controller = (pod.metadata?.ownerReferences ?? []).find((o) => o.controller);
    if (controller?.kind === "DaemonSet" && !finished) {
      if (opts.ignoreDaemonSets) daemonSetPods.push(ref(pod));
      else refusedDaemonSet.push(ref(pod));
      continue;
    }
    if (!controller && !finished) {
      if (!opts.force) {
        refusedUnreplicated.push(ref(pod));
        continue;
      }
      unreplicated.push(ref(pod));
    }
    if (!finished && (pod.spec?.volumes ?? []).some((v) => v.emptyDir !== undefined)) {
      if (!opts.deleteEmptyDirData) {
        refusedLocal.push(ref(pod));
        continue;
      }
      localStorage.push(ref(pod));
    }
    evict.push(pod);
  }
  const warnings: string[] = [];
  if (daemonSetPods.length) warnings.push(`ignoring DaemonSet-managed Pods: ${daemonSetPods.join(", ")}`);
  if (unreplicated.length) warnings.push(`deleting Pods that declare no controller: ${unreplicated.join(", ")}`);
  if (localStorage.length) warnings.push(`deleting Pods with local storage: ${localStorage.join(", ")}`);
  const errors: string[] = [];
  if (refusedDaemonSet.length) errors.push(`cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${refusedDaemonSet.join(", ")}`);
  if (refusedUnreplicated.length) errors.push(`cannot delete Pods that declare no controller (use --force to override): ${refusedUnreplicated.join(", ")}`);
  if (refusedLocal.length) errors.push(`cannot delete Pods with local storage (use --delete-emptydir-data to override): ${refusedLocal.join(", ")}`);
  return { evict, warnings, errors };
}
