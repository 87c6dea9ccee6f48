// The allocation scorers of NodeResourcesFit's scoring strategies: LeastAllocated and MostAllocated, weighted over the resources.
import { MAX_NODE_SCORE } from "../../framework/interface.js";
import { intDiv } from "./int-div.js";
import type { ResourceSpec } from "./resource-allocation.js";

/** A node's score from its requested and allocatable amounts per scored resource. */
export type Scorer = (requested: readonly number[], allocatable: readonly number[]) => number;

/** Weighted mean over the resources with allocatable of `perResource(requested, capacity)`. */
export function weightedScorer(resources: readonly ResourceSpec[], perResource: (requested: number, capacity: number) => number): Scorer {
  return (requested, allocatable) => {
    let nodeScore = 0;
    let weightSum = 0;
    for (let i = 0; i < resources.length; i++) {
      const capacity = allocatable[i] ?? 0;
      if (capacity === 0) continue;
      const weight = resources[i]!.weight;
      nodeScore += perResource(requested[i] ?? 0, capacity) * weight;
      weightSum += weight;
    }
    return weightSum === 0 ? 0 : intDiv(nodeScore, weightSum);
  };
}

/** Free share of the node after placing the pod: emptier nodes score higher (spreading). */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return intDiv((capacity - requested) * MAX_NODE_SCORE, capacity);
}

/** Used share of the node after placing the pod: fuller nodes score higher (bin packing). */
export function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  // Non-zero defaults for pods without requests can push requested past capacity.
  return intDiv(Math.min(requested, capacity) * MAX_NODE_SCORE, capacity);
}
