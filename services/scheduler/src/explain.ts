// ExplainSchedule: runs a pod's profile over every node of a fresh snapshot, without binding or assuming, and says why each node won or lost.
import { apiErrors, toGrpcStatus, type schedulerV1 } from "@kubeplane/api";
import type { Lister } from "@kubeplane/client";
import { nodeScores, type Framework } from "./framework/framework.js";
import { CycleState, isSuccess, type NodeInfo, type Pod, type Snapshot } from "./framework/interface.js";
import { fitErrorMessage, newDiagnosis } from "./framework/diagnosis.js";
import { newPodInfo } from "./framework/pod-info.js";
import { DEFAULT_SCHEDULER_NAME } from "./framework/profile.js";
import { NodeSnapshot } from "./framework/snapshot.js";
import type { Scheduler } from "./scheduler.js";

type NodeExplanation = schedulerV1.NodeExplanation;

function rejected(nodeName: string, plugin: string, reasons: readonly string[]): NodeExplanation {
  return { nodeName, feasible: false, rejectedBy: plugin, reasons: [...reasons], scores: {}, totalScore: 0 };
}

/**
 * Explains how `fwk` would place `pod` on `snapshot`: PreFilter, Filter on every node (not the
 * percentageOfNodesToScore sample), then PreScore and Score with normalisation and weights over
 * the feasible ones. Pure: no cache, queue or apiserver is touched. The winner is the highest
 * total; ties go to the first node in snapshot order (the scheduler breaks them at random).
 */
export function explainSchedule(fwk: Framework, pod: Pod, snapshot: Snapshot): schedulerV1.ExplainScheduleResponse {
  const podInfo = newPodInfo(pod);
  const out: schedulerV1.ExplainScheduleResponse = { pod: podInfo.key, profile: fwk.profileName, nodes: [], winner: "", message: "" };
  const all = snapshot.list();
  if (all.length === 0) return { ...out, message: "no nodes available to schedule pods" };
  const state = new CycleState();
  const pre = fwk.runPreFilterPlugins(state, podInfo, snapshot);
  if (!isSuccess(pre.status)) {
    const plugin = pre.status.plugin ?? "PreFilter";
    const diagnosis = { ...newDiagnosis(all.length), preFilterStatus: pre.status };
    return { ...out, nodes: all.map((n) => rejected(n.name, plugin, pre.status.reasons)), message: fitErrorMessage(diagnosis) };
  }
  const diagnosis = newDiagnosis(all.length);
  const feasible: NodeInfo[] = [];
  const byName = new Map<string, NodeExplanation>();
  for (const node of all) {
    let explanation: NodeExplanation;
    if (pre.nodeNames && !pre.nodeNames.has(node.name)) {
      explanation = rejected(node.name, "PreFilter", ["node(s) didn't satisfy plugin(s) in PreFilter"]);
    } else {
      const s = fwk.runFilterPluginsWithNominatedPods(state, podInfo, node);
      if (isSuccess(s)) {
        feasible.push(node);
        explanation = { nodeName: node.name, feasible: true, rejectedBy: "", reasons: [], scores: {}, totalScore: 0 };
      } else {
        explanation = rejected(node.name, s.plugin ?? "Filter", s.reasons);
        diagnosis.nodeStatuses.set(node.name, s);
      }
    }
    byName.set(node.name, explanation);
    out.nodes.push(explanation);
  }
  if (feasible.length === 0) return { ...out, message: fitErrorMessage(diagnosis) };
  const preScore = fwk.runPreScorePlugins(state, podInfo, feasible, snapshot);
  if (!isSuccess(preScore)) return { ...out, message: `PreScore plugin ${preScore.plugin ?? ""} failed: ${preScore.reasons.join(", ")}` };
  const scored = fwk.runScorePlugins(state, podInfo, feasible);
  const status = scored.status;
  if (!isSuccess(status)) return { ...out, message: `Score plugin ${status.plugin ?? ""} failed: ${status.reasons.join(", ")}` };
  let best: { name: string; total: number } | undefined;
  for (const s of nodeScores(feasible, scored)) {
    const e = byName.get(s.name)!;
    e.scores = Object.fromEntries(Object.entries(s.scores).map(([plugin, v]) => [plugin, Math.round(v)]));
    e.totalScore = Math.round(s.total);
    if (!best || s.total > best.total) best = s;
  }
  return { ...out, winner: best!.name, message: `${feasible.length}/${all.length} nodes are feasible` };
}

/** What the handler reads: the scheduler's profiles and cache, and the pod informer's lister. */
export interface ExplainSources {
  scheduler: Pick<Scheduler, "profiles" | "cache">;
  pods: Lister<Pod>;
}

/**
 * The SchedulerService implementation. Each call snapshots the scheduler's cache afresh (its own
 * NodeSnapshot, so the scheduling loop's is untouched) and runs synchronously on the event loop,
 * between scheduling cycles. A pod the informer does not hold is NotFound.
 */
export function schedulerServiceHandlers(sources: ExplainSources): schedulerV1.SchedulerServiceServer {
  return {
    explainSchedule(call, callback) {
      const { namespace, name } = call.request;
      const pod = sources.pods.get(namespace, name);
      if (!pod) {
        callback(toGrpcStatus(apiErrors.notFound({ resource: "pods", name })), null);
        return;
      }
      const profile = pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME;
      const fwk = sources.scheduler.profiles.get(profile);
      if (!fwk) {
        callback(null, { pod: `${namespace}/${name}`, profile, nodes: [], winner: "", message: `this scheduler has no profile "${profile}"` });
        return;
      }
      const snapshot = new NodeSnapshot();
      sources.scheduler.cache.updateSnapshot(snapshot);
      callback(null, explainSchedule(fwk, pod, snapshot));
    },
  };
}
