// What resource scorers read: the scored resources and their weights, a pod's requests and a node's allocation with the pod added (kube-scheduler's resource_allocation.go).
import type { NodeInfo, PodInfo, Resource } from "../../framework/interface.js";
import { InvalidPluginArgsError } from "./plugin-args.js";

/** A resource to score and its weight (kube-scheduler's config.ResourceSpec). */
export interface ResourceSpec {
  name: string;
  weight: number;
}

export const DEFAULT_SCORED_RESOURCES: readonly ResourceSpec[] = [
  { name: "cpu", weight: 1 },
  { name: "memory", weight: 1 },
];

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
