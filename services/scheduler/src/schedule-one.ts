// One scheduling attempt over a profile's framework (kube-scheduler's schedulePod in schedule_one.go):
// PreFilter → Filter over enough nodes → PreScore → Score → pick a host. No I/O.
import { newDiagnosis, type Diagnosis } from "./framework/diagnosis.js";
import { seconds, type Framework, type ScoreResult } from "./framework/framework.js";
import { Code, SUCCESS, isSuccess, type CycleState, type NodeInfo, type PodInfo, type Snapshot, type Status } from "./framework/interface.js";

/** How many feasible nodes to find before scoring (kube-scheduler's numFeasibleNodesToFind). */
export function numFeasibleNodesToFind(percentageOfNodesToScore: number, numAllNodes: number): number {
  const minFeasibleNodesToFind = 100;
  const minFeasibleNodesPercentageToFind = 5;
  if (numAllNodes < minFeasibleNodesToFind) return numAllNodes;
  let percentage = percentageOfNodesToScore;
  if (percentage <= 0) {
    percentage = Math.max(50 - Math.floor(numAllNodes / 125), minFeasibleNodesPercentageToFind);
  }
  if (percentage >= 100) return numAllNodes;
  return Math.max(Math.floor((numAllNodes * percentage) / 100), minFeasibleNodesToFind);
}

export interface ScheduleOptions {
  /** 0 for kube-scheduler's adaptive default. */
  percentageOfNodesToScore: number;
  /** [0,1) random source for tie-breaks (tests pass a fixed one). */
  random?: () => number;
}

export type ScheduleResult =
  | { ok: true; nodeName: string; evaluatedNodes: number; feasibleNodes: number }
  | { ok: false; status: Status; diagnosis: Diagnosis };

/**
 * One scheduling attempt of `pod` against `snapshot` (kube-scheduler's schedulePod): no I/O.
 * Filters start where the previous attempt stopped, so consecutive pods spread over the nodes,
 * and stop after numFeasibleNodesToFind feasible ones. `ok: false` with code Unschedulable(*)
 * means no node fit (diagnosis says why), with code Error that a plugin failed.
 */
export class SchedulingAlgorithm {
  private nextStartNodeIndex = 0;
  /**
   * The feasible nodes and their scores of the last `schedule`, when it scored more than one and
   * PreFilter did not narrow the nodes (opportunistic batching keeps them); else undefined.
   */
  lastScored: { nodes: readonly NodeInfo[]; result: ScoreResult } | undefined;
  private readonly random: () => number;

  constructor(private readonly opts: ScheduleOptions) {
    this.random = opts.random ?? Math.random;
  }

  schedule(fwk: Framework, state: CycleState, pod: PodInfo, snapshot: Snapshot): ScheduleResult {
    this.lastScored = undefined;
    const all = snapshot.list();
    const diagnosis = newDiagnosis(all.length);
    if (all.length === 0) return { ok: false, status: { code: Code.Unschedulable, reasons: ["no nodes available to schedule pods"] }, diagnosis };
    const pre = fwk.runPreFilterPlugins(state, pod, snapshot);
    if (!isSuccess(pre.status)) {
      if (pre.status.code !== Code.Error) diagnosis.preFilterStatus = pre.status;
      return { ok: false, status: pre.status, diagnosis };
    }
    const filterStart = process.hrtime.bigint();
    const feasible = this.findFeasible(fwk, state, pod, snapshot, pre.nodeNames, diagnosis);
    fwk.observe("Filter", SUCCESS, seconds(filterStart));
    fwk.flushFilterTimings(state);
    if ("error" in feasible) return { ok: false, status: feasible.error, diagnosis };
    const nodes = feasible.nodes;
    if (nodes.length === 0) {
      return { ok: false, status: { code: Code.Unschedulable, reasons: [] }, diagnosis };
    }
    if (nodes.length === 1) return { ok: true, nodeName: nodes[0]!.name, evaluatedNodes: feasible.evaluated, feasibleNodes: 1 };
    const preScore = fwk.runPreScorePlugins(state, pod, nodes, snapshot);
    if (!isSuccess(preScore)) return { ok: false, status: preScore, diagnosis };
    const scored = fwk.runScorePlugins(state, pod, nodes);
    if (!isSuccess(scored.status)) return { ok: false, status: scored.status, diagnosis };
    if (!pre.nodeNames) this.lastScored = { nodes, result: scored };
    return { ok: true, nodeName: nodes[this.selectHost(scored.totals)]!.name, evaluatedNodes: feasible.evaluated, feasibleNodes: nodes.length };
  }

  private findFeasible(
    fwk: Framework,
    state: CycleState,
    pod: PodInfo,
    snapshot: Snapshot,
    nodeNames: Set<string> | undefined,
    diagnosis: Diagnosis,
  ): { nodes: NodeInfo[]; evaluated: number } | { error: Status } {
    let candidates: readonly NodeInfo[] = snapshot.list();
    if (nodeNames) {
      const unsatisfied = { code: Code.UnschedulableAndUnresolvable, reasons: ["node(s) didn't satisfy plugin(s) in PreFilter"] };
      const picked: NodeInfo[] = [];
      for (const n of candidates) {
        if (nodeNames.has(n.name)) picked.push(n);
        else diagnosis.nodeStatuses.set(n.name, unsatisfied);
      }
      candidates = picked;
    }
    const total = candidates.length;
    const want = numFeasibleNodesToFind(this.opts.percentageOfNodesToScore, total);
    const nodes: NodeInfo[] = [];
    if (total === 0) return { nodes, evaluated: 0 };
    // With a nodeNames restriction the rotation is not applied (the list is not the full one).
    const start = nodeNames ? 0 : this.nextStartNodeIndex % total;
    let processed = 0;
    for (; processed < total && nodes.length < want; processed++) {
      const node = candidates[(start + processed) % total]!;
      const s = fwk.runFilterPluginsWithNominatedPods(state, pod, node);
      if (isSuccess(s)) nodes.push(node);
      else if (s.code === Code.Error) return { error: s };
      else diagnosis.nodeStatuses.set(node.name, s);
    }
    if (!nodeNames) this.nextStartNodeIndex = (start + processed) % total;
    return { nodes, evaluated: processed };
  }

  /** The index of the highest total; ties broken uniformly at random (reservoir sampling, as kube-scheduler). */
  selectHost(totals: Float64Array): number {
    let best = 0;
    let ties = 1;
    for (let i = 1; i < totals.length; i++) {
      const t = totals[i]!;
      if (t > totals[best]!) {
        best = i;
        ties = 1;
      } else if (t === totals[best]) {
        ties++;
        if (this.random() * ties < 1) best = i;
      }
    }
    return best;
  }
}
