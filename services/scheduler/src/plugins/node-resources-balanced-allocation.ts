// NodeResourcesBalancedAllocation: prefers nodes whose cpu and memory would be used in equal
// shares after placing the pod (kube-scheduler's noderesources.BalancedAllocation).
import { MAX_NODE_SCORE, SKIP, SUCCESS } from "../framework/interface.js";
import type { CycleState, NodeInfo, PluginFactory, PodInfo, PreScorePlugin, ScorePlugin, Status } from "../framework/interface.js";
import { allocation, podRequestList, resourceSpecsFromArgs, type ResourceSpec } from "./helper/resource-allocation.js";

export const NODE_RESOURCES_BALANCED_ALLOCATION = "NodeResourcesBalancedAllocation";
const PRE_SCORE_STATE_KEY = "PreScore" + NODE_RESOURCES_BALANCED_ALLOCATION;

/** (1 − standard deviation of the used fractions) × MAX_NODE_SCORE, truncated as kube-scheduler does. */
export function balancedResourceScore(requested: readonly number[], allocatable: readonly number[]): number {
  const fractions: number[] = [];
  let total = 0;
  allocatable.forEach((capacity, i) => {
    if (capacity === 0) return;
    const fraction = Math.min((requested[i] ?? 0) / capacity, 1);
    total += fraction;
    fractions.push(fraction);
  });
  let std = 0;
  if (fractions.length === 2) {
    std = Math.abs((fractions[0]! - fractions[1]!) / 2);
  } else if (fractions.length > 2) {
    const mean = total / fractions.length;
    std = Math.sqrt(fractions.reduce((sum, f) => sum + (f - mean) * (f - mean), 0) / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export class NodeResourcesBalancedAllocation {
  readonly name = NODE_RESOURCES_BALANCED_ALLOCATION;
  private readonly resources: readonly ResourceSpec[];
  /** allocation()'s output, reused for every node scored. */
  private readonly scratch = { requested: [] as number[], allocatable: [] as number[] };

  constructor(args: Record<string, unknown> | undefined) {
    this.resources = resourceSpecsFromArgs(NODE_RESOURCES_BALANCED_ALLOCATION, args?.resources);
  }

  /**
   * Uses the pod's plain requests (not the non-zero defaults). A best-effort pod is skipped:
   * otherwise every such pod would pile onto the same most-balanced node (kubernetes#129138).
   */
  preScore(state: CycleState, pod: PodInfo): Status {
    const podRequests = podRequestList(pod, this.resources, true);
    if (podRequests.every((r) => r === 0)) return SKIP;
    state.write(PRE_SCORE_STATE_KEY, podRequests);
    return SUCCESS;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const podRequests = state.read<number[]>(PRE_SCORE_STATE_KEY) ?? podRequestList(pod, this.resources, true);
    const { requested, allocatable } = allocation(node, podRequests, this.resources, true, this.scratch);
    return balancedResourceScore(requested, allocatable);
  }
}

/** The registry's constructor of NodeResourcesBalancedAllocation. */
export const newNodeResourcesBalancedAllocation: PluginFactory = (args) => new NodeResourcesBalancedAllocation(args) satisfies PreScorePlugin & ScorePlugin;
