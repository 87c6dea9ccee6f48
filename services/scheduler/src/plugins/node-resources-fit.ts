// NodeResourcesFit: a pod fits a node only if its requests fit the node's free allocatable;
// nodes are scored LeastAllocated or MostAllocated (kube-scheduler's noderesources.Fit; the scorers are in helper/).
import { SUCCESS, errorStatus, unschedulable } from "../framework/interface.js";
import type {
  ClusterEvent,
  CycleState,
  FilterPlugin,
  NodeInfo,
  PluginFactory,
  PodInfo,
  PreFilterPlugin,
  PreFilterResult,
  PreScorePlugin,
  Resource,
  ScorePlugin,
  Status,
} from "../framework/interface.js";
import { leastRequestedScore, mostRequestedScore, weightedScorer, type Scorer } from "./helper/allocation-scorers.js";
import { InvalidPluginArgsError } from "./helper/plugin-args.js";
import { allocation, podRequestList, resourceSpecsFromArgs, type ResourceSpec } from "./helper/resource-allocation.js";

export const NODE_RESOURCES_FIT = "NodeResourcesFit";
const PRE_FILTER_STATE_KEY = "PreFilter" + NODE_RESOURCES_FIT;
const PRE_SCORE_STATE_KEY = "PreScore" + NODE_RESOURCES_FIT;

export type ScoringStrategyType = "LeastAllocated" | "MostAllocated";

export interface NodeResourcesFitArgs {
  /** Extended resources Filter does not check (e.g. ones a device plugin handles). */
  ignoredResources?: string[];
  /** Extended resource groups (the part before "/") Filter does not check. */
  ignoredResourceGroups?: string[];
  scoringStrategy?: { type?: ScoringStrategyType; resources?: ResourceSpec[] };
}

function isExtendedResourceName(name: string): boolean {
  const native = !name.includes("/") || name.includes("kubernetes.io/");
  return !native && !name.startsWith("requests.");
}

/** What PreFilter leaves for Filter: the pod's requests and the scalar ones to check. */
interface PreFilterState {
  request: Resource;
  scalars: Array<[string, number]>;
}

export class NodeResourcesFit {
  readonly name = NODE_RESOURCES_FIT;

  /** Room frees up when pods leave or nodes grow or appear. */
  eventsToRegister(): readonly ClusterEvent[] {
    return ["AssignedPodDelete", "AssignedPodUpdate", "NodeAdd", "NodeUpdate"];
  }
  private readonly ignoredResources: ReadonlySet<string>;
  private readonly ignoredResourceGroups: ReadonlySet<string>;
  private readonly resources: readonly ResourceSpec[];
  private readonly scorer: Scorer;
  /** allocation()'s output, reused for every node scored. */
  private readonly scratch = { requested: [] as number[], allocatable: [] as number[] };

  constructor(args: Record<string, unknown> | undefined) {
    const a = (args ?? {}) as NodeResourcesFitArgs;
    this.ignoredResources = new Set(a.ignoredResources ?? []);
    this.ignoredResourceGroups = new Set(a.ignoredResourceGroups ?? []);
    const type = a.scoringStrategy?.type ?? "LeastAllocated";
    this.resources = resourceSpecsFromArgs(NODE_RESOURCES_FIT, a.scoringStrategy?.resources);
    if (type === "LeastAllocated") this.scorer = weightedScorer(this.resources, leastRequestedScore);
    else if (type === "MostAllocated") this.scorer = weightedScorer(this.resources, mostRequestedScore);
    else throw new InvalidPluginArgsError(NODE_RESOURCES_FIT, `scoringStrategy.type ${JSON.stringify(type)} is not LeastAllocated or MostAllocated`);
  }

  preFilter(state: CycleState, pod: PodInfo): PreFilterResult {
    // PodInfo computed the effective requests once; the cycle state is where Filter looks, with
    // the scalar resources Filter checks listed once here rather than per node.
    const scalars = Object.entries(pod.requests.scalar).filter(
      ([name, quantity]) => quantity !== 0 && !(isExtendedResourceName(name) && (this.ignoredResources.has(name) || this.ignoredResourceGroups.has(name.split("/")[0]!))),
    );
    state.write(PRE_FILTER_STATE_KEY, { request: pod.requests, scalars } satisfies PreFilterState);
    return { status: SUCCESS };
  }

  /** One reason per insufficient resource, all Unschedulable: evicting pods could free them. */
  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_STATE_KEY);
    if (!s) return errorStatus(`reading "${PRE_FILTER_STATE_KEY}" from cycleState: not found`);
    const reasons = this.insufficientResources(s, node);
    return reasons ? unschedulable(...reasons) : SUCCESS;
  }

  /** The reasons the pod does not fit, or undefined when it fits (no array in the common case). */
  private insufficientResources({ request, scalars }: PreFilterState, node: NodeInfo): string[] | undefined {
    let reasons: string[] | undefined;
    const { allocatable, requested } = node;
    if (node.pods.length + 1 > allocatable.pods) (reasons ??= []).push("Too many pods");
    if (request.milliCpu > 0 && request.milliCpu > allocatable.milliCpu - requested.milliCpu) (reasons ??= []).push("Insufficient cpu");
    if (request.memory > 0 && request.memory > allocatable.memory - requested.memory) (reasons ??= []).push("Insufficient memory");
    if (request.ephemeralStorage > 0 && request.ephemeralStorage > allocatable.ephemeralStorage - requested.ephemeralStorage) {
      (reasons ??= []).push("Insufficient ephemeral-storage");
    }
    for (const [name, quantity] of scalars) {
      if (quantity > (allocatable.scalar[name] ?? 0) - (requested.scalar[name] ?? 0)) (reasons ??= []).push(`Insufficient ${name}`);
    }
    return reasons;
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    state.write(PRE_SCORE_STATE_KEY, podRequestList(pod, this.resources, false));
    return SUCCESS;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const podRequests = state.read<number[]>(PRE_SCORE_STATE_KEY) ?? podRequestList(pod, this.resources, false);
    const { requested, allocatable } = allocation(node, podRequests, this.resources, false, this.scratch);
    return this.scorer(requested, allocatable);
  }
}

/** The registry's constructor of NodeResourcesFit. */
export const newNodeResourcesFit: PluginFactory = (args) => new NodeResourcesFit(args) satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin;
