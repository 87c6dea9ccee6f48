// NodeInfo: one node and its pods with running sums, updated in place by the scheduler cache.
import type { Node, NodeInfo, PodInfo, Resource } from "./interface.js";
import { hasPodAffinity, hasRequiredAntiAffinity } from "./pod-info.js";
import { addTo, emptyResource, nodeAllocatable, subtractFrom } from "./resources.js";

let generations = 0;
/** A process-wide increasing number: every change of any NodeInfo gets a new one. */
export function nextGeneration(): number {
  return ++generations;
}

function portsOf(p: PodInfo): string[] {
  const out: string[] = [];
  for (const c of p.pod.spec?.containers ?? []) {
    for (const port of c.ports ?? []) {
      if (port.hostPort > 0) out.push(`${port.protocol || "TCP"}/${port.hostIp || "0.0.0.0"}/${port.hostPort}`);
    }
  }
  return out;
}

/**
 * The mutable NodeInfo behind the read-only interface. Only the scheduler cache mutates it;
 * plugins get it through a Snapshot. `clone()` makes the snapshot's copy.
 */
export class MutableNodeInfo implements NodeInfo {
  node: Node;
  pods: PodInfo[] = [];
  podsWithAffinity: PodInfo[] = [];
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  allocatable: Resource;
  requested: Resource = emptyResource();
  nonZeroRequested: Resource = emptyResource();
  usedPorts = new Set<string>();
  /** Shared with the cache: image name → state across nodes. */
  imageStates: Map<string, { sizeBytes: number; numNodes: number }> = new Map();
  generation = nextGeneration();

  constructor(node: Node) {
    this.node = node;
    this.allocatable = nodeAllocatable(node);
  }

  get name(): string {
    return this.node.metadata?.name ?? "";
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = nodeAllocatable(node);
    this.generation = nextGeneration();
  }

  addPod(p: PodInfo): void {
    this.pods.push(p);
    if (hasPodAffinity(p.pod)) this.podsWithAffinity.push(p);
    if (hasRequiredAntiAffinity(p.pod)) this.podsWithRequiredAntiAffinity.push(p);
    addTo(this.requested, p.requests);
    addTo(this.nonZeroRequested, p.nonZeroRequests);
    for (const port of portsOf(p)) this.usedPorts.add(port);
    this.generation = nextGeneration();
  }

  /** Removes the pod with `key`; returns whether it was there. */
  removePod(key: string): boolean {
    const i = this.pods.findIndex((p) => p.key === key);
    if (i < 0) return false;
    const [p] = this.pods.splice(i, 1);
    this.podsWithAffinity = this.podsWithAffinity.filter((x) => x.key !== key);
    this.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity.filter((x) => x.key !== key);
    subtractFrom(this.requested, p!.requests);
    subtractFrom(this.nonZeroRequested, p!.nonZeroRequests);
    this.usedPorts = new Set(this.pods.flatMap(portsOf));
    this.generation = nextGeneration();
    return true;
  }

  /** A mutable copy of any NodeInfo (a MutableNodeInfo is better copied with `clone`). */
  static from(node: NodeInfo): MutableNodeInfo {
    const copy = new MutableNodeInfo(node.node);
    for (const p of node.pods) copy.addPod(p);
    copy.imageStates = new Map(node.imageStates);
    return copy;
  }

  clone(): MutableNodeInfo {
    const c = new MutableNodeInfo(this.node);
    c.pods = [...this.pods];
    c.podsWithAffinity = [...this.podsWithAffinity];
    c.podsWithRequiredAntiAffinity = [...this.podsWithRequiredAntiAffinity];
    c.allocatable = { ...this.allocatable, scalar: { ...this.allocatable.scalar } };
    c.requested = { ...this.requested, scalar: { ...this.requested.scalar } };
    c.nonZeroRequested = { ...this.nonZeroRequested, scalar: { ...this.nonZeroRequested.scalar } };
    c.usedPorts = new Set(this.usedPorts);
    c.imageStates = this.imageStates;
    c.generation = this.generation;
    return c;
  }
}

/** A NodeInfo for tests and tools: `node` with `pods` on it. */
export function nodeInfoOf(node: Node, pods: readonly PodInfo[] = []): MutableNodeInfo {
  const info = new MutableNodeInfo(node);
  for (const p of pods) info.addPod(p);
  return info;
}
