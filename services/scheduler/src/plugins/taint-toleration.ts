// TaintToleration: NoSchedule/NoExecute taints a pod does not tolerate rule a node out;
// untolerated PreferNoSchedule taints make it less preferred (kube-scheduler's tainttoleration).
import type { coreV1Node, coreV1Pod } from "@kubeplane/api";
import { MAX_NODE_SCORE, SUCCESS, unresolvable } from "../framework/interface.js";
import type { ClusterEvent, CycleState, FilterPlugin, NodeInfo, PluginFactory, PodInfo, PreScorePlugin, ScorePlugin, Status } from "../framework/interface.js";
import { defaultNormalizeScore } from "./helper/normalize-score.js";
import { tolerationsTolerateTaint } from "./helper/taints.js";

export const TAINT_TOLERATION = "TaintToleration";
const PRE_SCORE_STATE_KEY = "PreScore" + TAINT_TOLERATION;

type Taint = coreV1Node.Taint;
type Toleration = coreV1Pod.Toleration;

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

/** The registry's constructor of TaintToleration. */
export const newTaintToleration: PluginFactory = () => new TaintToleration() satisfies FilterPlugin & PreScorePlugin & ScorePlugin;
