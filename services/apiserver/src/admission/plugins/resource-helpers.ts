// A pod's effective resource requests and limits (Kubernetes' resourcehelper.PodRequests/PodLimits), shared by LimitRanger and ResourceQuota.
import { parseQuantity, type coreV1Pod, type Quantity } from "@kubeplane/api";

function add(into: Map<string, Quantity>, list: Readonly<Record<string, string>>): void {
  for (const [k, v] of Object.entries(list)) {
    const q = parseQuantity(v);
    const prev = into.get(k);
    into.set(k, prev ? prev.add(q) : q);
  }
}

function maxWith(into: Map<string, Quantity>, list: Readonly<Record<string, string>>): void {
  for (const [k, v] of Object.entries(list)) {
    const q = parseQuantity(v);
    const prev = into.get(k);
    if (!prev || q.cmp(prev) > 0) into.set(k, q);
  }
}

function effective(spec: coreV1Pod.PodSpec, pick: (r: coreV1Pod.Container["resources"]) => Readonly<Record<string, string>>, overhead: boolean): Map<string, Quantity> {
  const sum = new Map<string, Quantity>();
  for (const c of spec.containers) add(sum, pick(c.resources));
  // Init containers run one at a time before the others: the pod needs the larger of the sum and each of them.
  for (const c of spec.initContainers) maxWith(sum, pick(c.resources));
  if (overhead) add(sum, spec.overhead);
  return sum;
}

function strings(m: Map<string, Quantity>): Record<string, string> {
  return Object.fromEntries([...m].map(([k, q]) => [k, q.toString()]));
}

/**
 * The pod's requests and limits: the containers' sum, raised to any single init container's value, plus the pod
 * overhead when `includeOverhead` (quota counts it; LimitRanger does not). Canonical quantity strings by resource.
 */
export function podRequestsAndLimits(spec: coreV1Pod.PodSpec, includeOverhead = false): { requests: Record<string, string>; limits: Record<string, string> } {
  return {
    requests: strings(effective(spec, (r) => r?.requests ?? {}, includeOverhead)),
    limits: strings(effective(spec, (r) => r?.limits ?? {}, includeOverhead)),
  };
}
