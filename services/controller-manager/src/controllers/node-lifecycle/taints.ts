// Taint math of the node lifecycle controller: which health taints a node should carry and how to apply them.
import type { coreV1Node } from "@kubeplane/api";

type Taint = coreV1Node.Taint;

export const TAINT_NOT_READY = "node.kubernetes.io/not-ready";
export const TAINT_UNREACHABLE = "node.kubernetes.io/unreachable";

/** What the node's Ready condition says: True, False, Unknown, or absent (never posted). */
export type NodeReadiness = "ready" | "not-ready" | "unreachable" | "unreported";

/** The taints `readiness` calls for: both effects of not-ready or of unreachable, none when ready. */
export function healthTaints(readiness: NodeReadiness, timeAdded: string): Taint[] {
  const key = readiness === "not-ready" ? TAINT_NOT_READY : readiness === "unreachable" ? TAINT_UNREACHABLE : undefined;
  if (!key) return [];
  return [
    { key, value: "", effect: "NoSchedule", timeAdded: "" },
    // Kubernetes stamps only NoExecute taints: eviction deadlines count from timeAdded.
    { key, value: "", effect: "NoExecute", timeAdded },
  ];
}

function isHealthTaint(t: Taint): boolean {
  return t.key === TAINT_NOT_READY || t.key === TAINT_UNREACHABLE;
}

function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

/**
 * The node's taints with its health taints replaced by `wanted` (readiness "unreported" leaves
 * them as they are: the controller has nothing to say yet). Taints already present keep their
 * timeAdded, and taints that are not the controller's are kept in place. Returns undefined when
 * nothing changes, so callers write only on a change.
 */
export function reconcileHealthTaints(current: readonly Taint[], readiness: NodeReadiness, now: string): Taint[] | undefined {
  if (readiness === "unreported") return undefined;
  const wanted = healthTaints(readiness, now);
  const kept = current.filter((t) => !isHealthTaint(t) || wanted.some((w) => sameTaint(w, t)));
  const added = wanted.filter((w) => !current.some((t) => sameTaint(t, w)));
  if (added.length === 0 && kept.length === current.length) return undefined;
  return [...kept, ...added];
}

/** The node's NoExecute taints: the ones that evict pods. */
export function noExecuteTaints(taints: readonly Taint[]): Taint[] {
  return taints.filter((t) => t.effect === "NoExecute");
}
