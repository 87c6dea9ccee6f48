// NodeResourcesFit: a pod fits a node only if its requests fit the node's free allocatable;
// nodes are scored LeastAllocated or MostAllocated (kube-scheduler's noderesources.Fit).
import { registerPlugin } from "../framework/plugin-registry.js";
import { MAX_NODE_SCORE, SUCCESS, errorStatus, unschedulable } from "../framework/interface.js";
import type {
  ClusterEvent,
  CycleState,
  FilterPlugin,
  NodeInfo,
  PodInfo,
  PreFilterPlugin,
  PreFilterResult,
  PreScorePlugin,
  Resource,
  ScorePlugin,
  Status,
} from "../framework/interface.js";

export const NODE_RESOURCES_FIT = "NodeResourcesFit";
const PRE_FILTER_STATE_KEY = "PreFilter" + NODE_RESOURCES_FIT;
const PRE_SCORE_STATE_KEY = "PreScore" + NODE_RESOURCES_FIT;

/** Thrown by a plugin factory when the profile's args are invalid, so the scheduler refuses to start. */
export class InvalidPluginArgsError extends Error {
  readonly code = "INVALID_PLUGIN_ARGS";
  constructor(plugin: string, message: string) {
    super(`${plugin} args: ${message}`);
    this.name = "InvalidPluginArgsError";
  }
}

/** A resource to score and its weight (kube-scheduler's config.ResourceSpec). */
export interface ResourceSpec {
  name: string;
  weight: number;
}

export const DEFAULT_SCORED_RESOURCES: readonly ResourceSpec[] = [
  { name: "cpu", weight: 1 },
  { name: "memory", weight: 1 },
];

export type ScoringStrategyType = "LeastAllocated" | "MostAllocated";

/** `args.resources` (or a strategy's), validated; the cpu/memory 1:1 default when absent. */
export function resourceSpecsFromArgs(plugin: string, value: unknown): readonly ResourceSpec[] {
  if (value === undefined) return DEFAULT_SCORED_RESOURCES;
  if (!Array.isArray(value) || value.length === 0) throw new InvalidPluginArgsError(plugin, "resources must be a non-empty list");
  return value.map((r: unknown, i) => {
    const { name, weight = 1 } = (r ?? {}) as { name?: unknown; weight?: unknown };
    if (typeof name !== "string" || !name) throw new InvalidPluginArgsError(plugin, `resources[${i}].name is required`);
    if (typeof weight !== "number" || !Number.isInteger(weight) || weight < 1 || weight > 100) {
      throw new InvalidPluginArgsError(plugin, `resources[${i}].weight must be an integer in 1..100`);
    }
    return { name, weight };
  });
}

/** An amount of `resource` (its core/v1 name) in scheduler units. */
export function amountOf(r: Resource, resource: string): number {
  switch (resource) {
    case "cpu":
      return r.milliCpu;
    case "memory":
      return r.memory;
    case "ephemeral-storage":
      return r.ephemeralStorage;
    case "pods":
      return r.pods;
    default:
      return r.scalar[resource] ?? 0;
  }
}

/** Go's int64 division for non-negative safe integers (a float quotient can round up across an integer). */
export function intDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q -= 1;
  else if ((q + 1) * b <= a) q += 1;
  return q;
}

/**
 * The pod's request per scored resource: with kube-scheduler's non-zero cpu/memory defaults, or
 * the plain requests when `useRequested` (BalancedAllocation).
 */
export function podRequestList(pod: PodInfo, resources: readonly ResourceSpec[], useRequested: boolean): number[] {
  const requests = useRequested ? pod.requests : pod.nonZeroRequests;
  return resources.map((r) => amountOf(requests, r.name));
}

const NATIVE_SCORED = new Set(["cpu", "memory", "ephemeral-storage"]);

/**
 * kube-scheduler's resourceAllocationScorer: for each resource, the node's allocatable and its
 * requested amount with the pod added; both 0 where the resource is not scored on this node
 * (unknown, no allocatable, or an extended resource the pod does not request).
 */
export function allocation(
  node: NodeInfo,
  podRequests: readonly number[],
  resources: readonly ResourceSpec[],
  useRequested: boolean,
  /** Arrays to fill (a plugin's scratch space, reused node after node); new ones when absent. */
  out: { requested: number[]; allocatable: number[] } = { requested: [], allocatable: [] },
): { requested: number[]; allocatable: number[] } {
  const nodeRequested = useRequested ? node.requested : node.nonZeroRequested;
  const { requested, allocatable } = out;
  requested.length = allocatable.length = resources.length;
  for (let i = 0; i < resources.length; i++) {
    const name = resources[i]!.name;
    requested[i] = allocatable[i] = 0;
    const podRequest = podRequests[i] ?? 0;
    if (name === "pods" || (!NATIVE_SCORED.has(name) && podRequest === 0)) continue;
    const alloc = amountOf(node.allocatable, name);
    if (alloc === 0) continue;
    allocatable[i] = alloc;
    requested[i] = amountOf(nodeRequested, name) + podRequest;
  }
  return out;
}

type Scorer = (requested: readonly number[], allocatable: readonly number[]) => number;

/** Weighted mean over the resources with allocatable of `perResource(requested, capacity)`. */
function weightedScorer(resources: readonly ResourceSpec[], perResource: (requested: number, capacity: number) => number): Scorer {
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

registerPlugin(
  NODE_RESOURCES_FIT,
  (args) => new NodeResourcesFit(args) satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin,
);
