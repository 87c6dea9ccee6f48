// Toleration matching for taint-based eviction: when, if ever, a pod must leave a node with NoExecute taints.
import type { coreV1Node, coreV1Pod } from "@kubeplane/api";
import { TAINT_NOT_READY, TAINT_UNREACHABLE } from "./taints.js";

type Taint = coreV1Node.Taint;
type Toleration = coreV1Pod.Toleration;

/** Kubernetes' Toleration.ToleratesTaint: effect and key match (empty matches all), Exists or equal value. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect !== "" && t.effect !== taint.effect) return false;
  if (t.key !== "" && t.key !== taint.key) return false;
  if (t.operator === "Exists") return true;
  if (t.operator === "" || t.operator === "Equal") return t.value === taint.value;
  return false;
}

function toleratesNoExecuteKey(tolerations: readonly Toleration[], key: string): boolean {
  return tolerations.some((t) => (t.key === key || (t.key === "" && t.operator === "Exists")) && (t.effect === "" || t.effect === "NoExecute"));
}

/**
 * `tolerations` plus what the DefaultTolerationSeconds admission plugin adds: not-ready and
 * unreachable NoExecute tolerations for `seconds`, each unless the pod already tolerates that key.
 * Applied here rather than at admission so pods created before the setting changed follow it too.
 */
export function withDefaultTolerations(tolerations: readonly Toleration[], seconds: number): Toleration[] {
  const out = [...tolerations];
  for (const key of [TAINT_NOT_READY, TAINT_UNREACHABLE]) {
    if (!toleratesNoExecuteKey(tolerations, key)) out.push({ key, operator: "Exists", value: "", effect: "NoExecute", tolerationSeconds: seconds });
  }
  return out;
}

/** When a pod must be evicted from a node: now, at a time (ms since the epoch), or never. */
export type EvictionDecision = { evict: "now" } | { evict: "at"; atMs: number } | { evict: "never" };

/**
 * The taint manager's decision for a pod with `tolerations` (defaults already applied) on a node
 * with `taints` (its NoExecute ones). A taint no toleration matches evicts at once; otherwise the
 * first toleration matching each taint is the one used (as Kubernetes' GetMatchingTolerations),
 * and the pod goes at the earliest `taintStartMs(taint) + tolerationSeconds` among them;
 * tolerationSeconds ≤ 0 evicts at once, and tolerations without it never evict.
 */
export function evictionDecision(tolerations: readonly Toleration[], taints: readonly Taint[], taintStartMs: (t: Taint) => number): EvictionDecision {
  let earliest = Infinity;
  for (const taint of taints) {
    const used = tolerations.find((t) => toleratesTaint(t, taint));
    if (!used) return { evict: "now" };
    if (used.tolerationSeconds === undefined) continue;
    if (used.tolerationSeconds <= 0) return { evict: "now" };
    earliest = Math.min(earliest, taintStartMs(taint) + used.tolerationSeconds * 1000);
  }
  return earliest === Infinity ? { evict: "never" } : { evict: "at", atMs: earliest };
}
