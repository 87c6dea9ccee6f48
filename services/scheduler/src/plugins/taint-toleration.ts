// TaintToleration: NoSchedule/NoExecute taints a pod does not tolerate rule a node out;
// untolerated PreferNoSchedule taints make it less preferred (kube-scheduler's tainttoleration).
import type { coreV1Node, coreV1Pod } from "@kubeplane/api";
import { registerPlugin } from "../framework/plugin-registry.js";
import { MAX_NODE_SCORE, SUCCESS, unresolvable } from "../framework/interface.js";
import type { ClusterEvent, CycleState, FilterPlugin, NodeInfo, PodInfo, PreScorePlugin, ScorePlugin, Status } from "../framework/interface.js";

export const TAINT_TOLERATION = "TaintToleration";
const PRE_SCORE_STATE_KEY = "PreScore" + TAINT_TOLERATION;

type Taint = coreV1Node.Taint;
type Toleration = coreV1Pod.Toleration;

/** Whether `toleration` tolerates `taint` (core/v1 Toleration.ToleratesTaint): empty key or effect match any. */
export function toleratesTaint(toleration: Toleration, taint: Pick<Taint, "key" | "value" | "effect">): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator) {
    case "":
    case "Equal":
      return toleration.value === taint.value;
    case "Exists":
      return true;
    default:
      return false;
  }
}

export function tolerationsTolerateTaint(tolerations: readonly Toleration[], taint: Pick<Taint, "key" | "value" | "effect">): boolean {
  return tolerations.some((t) => toleratesTaint(t, taint));
}

/**
 * kube-scheduler's helper.DefaultNormalizeScore: scales `scores` in place so the largest becomes
 * `maxPriority` (integer arithmetic), reversed when fewer is better.
 */
export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: Float64Array): void {
  let maxCount = 0;
  for (let i = 0; i < scores.length; i++) maxCount = Math.max(maxCount, scores[i]!);
  if (maxCount === 0) {
    if (reverse) scores.fill(maxPriority);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const scaled = Math.trunc((maxPriority * scores[i]!) / maxCount);
    scores[i] = reverse ? maxPriority - scaled : scaled;
  }
}

function isDoNotSchedule(taint: Taint): boolean {
  return taint.effect === "NoSchedule" || taint.effect === "NoExecute";
}

export class TaintToleration {
  readonly name = TAINT_TOLERATION;

  /** A node losing a taint (or a new one) may take the pod. */
  eventsToRegister(): readonly ClusterEvent[] {
    return ["NodeAdd", "NodeUpdate"];
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const tolerations = pod.pod.spec?.tolerations ?? [];
    // The first untolerated taint in the node's order names the reason, as kube-scheduler does.
    const taint = (node.node.spec?.taints ?? []).find((t) => isDoNotSchedule(t) && !tolerationsTolerateTaint(tolerations, t));
    if (!taint) return SUCCESS;
    return unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value}}`);
  }

  /** Keeps only the tolerations that can matter for PreferNoSchedule (that effect or any effect). */
  preScore(state: CycleState, pod: PodInfo): Status {
    state.write(PRE_SCORE_STATE_KEY, preferNoScheduleTolerations(pod));
    return SUCCESS;
  }

  /** The number of PreferNoSchedule taints the pod does not tolerate; normalised so fewer scores higher. */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const tolerations = state.read<Toleration[]>(PRE_SCORE_STATE_KEY) ?? preferNoScheduleTolerations(pod);
    let intolerable = 0;
    for (const taint of node.node.spec?.taints ?? []) {
      if (taint.effect === "PreferNoSchedule" && !tolerationsTolerateTaint(tolerations, taint)) intolerable++;
    }
    return intolerable;
  }

  normalizeScores(_state: CycleState, _pod: PodInfo, scores: Float64Array): void {
    defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
  }
}

function preferNoScheduleTolerations(pod: PodInfo): Toleration[] {
  return (pod.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === "PreferNoSchedule");
}

registerPlugin(TAINT_TOLERATION, () => new TaintToleration() satisfies FilterPlugin & PreScorePlugin & ScorePlugin);
