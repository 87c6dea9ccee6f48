// The "0/5 nodes are available: 3 Insufficient cpu, …" message of an unschedulable pod (kube-scheduler's FitError).
import type { Status } from "./interface.js";

/** Why a pod fit no node: each rejected node's status, or a PreFilter verdict for all of them. */
export interface Diagnosis {
  numAllNodes: number;
  /** node name → the status of the filter that rejected it. */
  nodeStatuses: Map<string, Status>;
  /** Set when PreFilter rejected the pod outright (no node was tried). */
  preFilterStatus?: Status;
  /** What PostFilter (preemption) reported, appended to the message. */
  postFilterMessage?: string;
}

export function newDiagnosis(numAllNodes: number): Diagnosis {
  return { numAllNodes, nodeStatuses: new Map() };
}

/**
 * kube-scheduler's FitError.Error(): reasons counted over nodes and sorted alphabetically,
 * e.g. `0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu.`
 */
export function fitErrorMessage(d: Diagnosis): string {
  const head = `0/${d.numAllNodes} nodes are available`;
  let body: string;
  if (d.preFilterStatus) {
    body = `${head}: ${d.preFilterStatus.reasons.join(", ") || "rejected by PreFilter"}.`;
  } else {
    const counts = new Map<string, number>();
    for (const status of d.nodeStatuses.values()) {
      for (const reason of status.reasons.length ? status.reasons : [`node(s) didn't pass plugin ${status.plugin ?? "filter"}`]) {
        counts.set(reason, (counts.get(reason) ?? 0) + 1);
      }
    }
    const parts = [...counts].map(([reason, n]) => `${n} ${reason}`).sort();
    body = parts.length ? `${head}: ${parts.join(", ")}.` : `${head}.`;
  }
  return d.postFilterMessage ? `${body} ${d.postFilterMessage}` : body;
}
