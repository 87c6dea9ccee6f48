// Resource arithmetic for scheduling: requests of pods and allocatable of nodes in scheduler units.
import { bytes, cpuMillis } from "@kubeplane/api";
import type { Node, Pod, Resource } from "./interface.js";

/** kube-scheduler's defaults for containers without requests, used only when scoring. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export function emptyResource(): Resource {
  return { milliCpu: 0, memory: 0, ephemeralStorage: 0, pods: 0, scalar: {} };
}

function safe(parse: (t: string) => number, text: string | undefined): number {
  if (!text) return 0;
  try {
    return parse(text);
  } catch {
    return 0;
  }
}

/** A ResourceList (`{cpu: "500m", memory: "1Gi", …}`) in scheduler units. */
export function resourceFromList(list: Readonly<Record<string, string>> | undefined): Resource {
  const r = emptyResource();
  for (const [name, value] of Object.entries(list ?? {})) {
    if (name === "cpu") r.milliCpu = safe(cpuMillis, value);
    else if (name === "memory") r.memory = safe(bytes, value);
    else if (name === "ephemeral-storage") r.ephemeralStorage = safe(bytes, value);
    else if (name === "pods") r.pods = safe(bytes, value);
    else if (name.includes("/") || name.startsWith("hugepages-")) r.scalar[name] = safe(bytes, value);
  }
  return r;
}

export function addTo(into: Resource, r: Resource): void {
  into.milliCpu += r.milliCpu;
  into.memory += r.memory;
  into.ephemeralStorage += r.ephemeralStorage;
  into.pods += r.pods;
  for (const [k, v] of Object.entries(r.scalar)) into.scalar[k] = (into.scalar[k] ?? 0) + v;
}

export function subtractFrom(from: Resource, r: Resource): void {
  from.milliCpu -= r.milliCpu;
  from.memory -= r.memory;
  from.ephemeralStorage -= r.ephemeralStorage;
  from.pods -= r.pods;
  for (const [k, v] of Object.entries(r.scalar)) from.scalar[k] = (from.scalar[k] ?? 0) - v;
}

function maxInto(into: Resource, r: Resource): void {
  into.milliCpu = Math.max(into.milliCpu, r.milliCpu);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [k, v] of Object.entries(r.scalar)) into.scalar[k] = Math.max(into.scalar[k] ?? 0, v);
}

/**
 * A pod's effective requests (kube-scheduler's computePodResourceRequest): the sum over its
 * containers, raised to the largest init container's where that is bigger, plus overhead; pods 1.
 * With `nonZero`, containers without a cpu/memory request count kube-scheduler's defaults.
 */
export function podRequests(pod: Pod, nonZero = false): Resource {
  const sum = emptyResource();
  for (const c of pod.spec?.containers ?? []) {
    const r = resourceFromList(c.resources?.requests);
    if (nonZero) {
      if (!c.resources?.requests?.cpu) r.milliCpu = DEFAULT_MILLI_CPU_REQUEST;
      if (!c.resources?.requests?.memory) r.memory = DEFAULT_MEMORY_REQUEST;
    }
    addTo(sum, r);
  }
  for (const c of pod.spec?.initContainers ?? []) maxInto(sum, resourceFromList(c.resources?.requests));
  addTo(sum, resourceFromList(pod.spec?.overhead));
  sum.pods = 1;
  return sum;
}

/** A node's allocatable (falling back to capacity), in scheduler units. */
export function nodeAllocatable(node: Node): Resource {
  const status = node.status;
  const list = status && Object.keys(status.allocatable).length ? status.allocatable : status?.capacity;
  return resourceFromList(list);
}
