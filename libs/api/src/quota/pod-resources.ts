// A pod's effective resource requests and limits (Kubernetes' resourcehelper.PodRequests/PodLimits), for LimitRanger and quota.
import type { Container, PodSpec } from "../gen/kubeplane/core/v1/pod.js";
import { parseQuantity, type Quantity } from "../quantity.js";

type Pick = (c: Container) => Readonly<Record<string, string>>;

function effective(spec: PodSpec, pick: Pick, overhead: boolean): Record<string, string> {
  const sum = new Map<string, Quantity>();
  for (const c of spec.containers) {
    for (const [k, v] of Object.entries(pick(c))) {
      const prev = sum.get(k);
      sum.set(k, prev ? prev.add(parseQuantity(v)) : parseQuantity(v));
    }
  }
  // Init containers run one at a time before the others: the pod needs the larger of the sum and each of them.
  for (const c of spec.initContainers) {
    for (const [k, v] of Object.entries(pick(c))) {
      const qv = parseQuantity(v);
      const prev = sum.get(k);
      if (!prev || qv.cmp(prev) > 0) sum.set(k, qv);
    }
  }
  if (overhead) {
    for (const [k, v] of Object.entries(spec.overhead)) {
      const prev = sum.get(k);
      if (prev) sum.set(k, prev.add(parseQuantity(v)));
    }
  }
  return Object.fromEntries([...sum].map(([k, qv]) => [k, qv.toString()]));
}

/**
 * The pod's requests and limits by resource (canonical quantity strings): the containers' sum, raised to any single
 * init container's value, plus the pod overhead for resources already present when `includeOverhead` (quota counts
 * it; LimitRanger does not).
 */
export function podRequestsAndLimits(spec: PodSpec, includeOverhead = false): { requests: Record<string, string>; limits: Record<string, string> } {
  return {
    requests: effective(spec, (c) => c.resources?.requests ?? {}, includeOverhead),
    limits: effective(spec, (c) => c.resources?.limits ?? {}, includeOverhead),
  };
}
