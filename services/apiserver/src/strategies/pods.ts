// The Pod strategy: a new pod starts Pending with its QoS class; a bound pod is deleted gracefully by its kubelet.
import type { ApiObject } from "@kubeplane/api";
import { defaultStrategy, emptyStatus, type Strategy } from "./strategy.js";

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };
type PodLike = ApiObject & {
  spec?: { nodeName?: string; terminationGracePeriodSeconds?: number; containers?: { resources?: Resources }[]; initContainers?: { resources?: Resources }[] };
  status?: unknown;
};

/** Kubernetes' QoS class: Guaranteed when every container's requests equal its limits, BestEffort with none. */
export function podQosClass(obj: ApiObject): string {
  const spec = (obj as PodLike).spec;
  const containers = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    if (Object.keys(requests).length || Object.keys(limits).length) any = true;
    for (const r of ["cpu", "memory"]) {
      const limit = limits[r];
      const request = requests[r] ?? limit;
      if (!limit || request !== limit) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

/** Node labels Kubernetes deprecated, with its advice (pkg/api/pod's warnings). */
const DEPRECATED_NODE_LABELS: Record<string, string> = {
  "beta.kubernetes.io/arch": 'deprecated since v1.14; use "kubernetes.io/arch" instead',
  "beta.kubernetes.io/os": 'deprecated since v1.14; use "kubernetes.io/os" instead',
  "failure-domain.beta.kubernetes.io/region": 'deprecated since v1.17; use "topology.kubernetes.io/region" instead',
  "failure-domain.beta.kubernetes.io/zone": 'deprecated since v1.17; use "topology.kubernetes.io/zone" instead',
  "beta.kubernetes.io/instance-type": 'deprecated since v1.17; use "node.kubernetes.io/instance-type" instead',
};

/** Kubernetes' warnings for a pod's nodeSelector on deprecated node labels (on an update, only keys the update adds). */
export function podWarnings(obj: ApiObject, old: ApiObject | undefined): string[] {
  const selector = (obj as ApiObject & { spec?: { nodeSelector?: Record<string, string> } }).spec?.nodeSelector ?? {};
  const before = (old as (ApiObject & { spec?: { nodeSelector?: Record<string, string> } }) | undefined)?.spec?.nodeSelector ?? {};
  return Object.keys(selector)
    .filter((k) => DEPRECATED_NODE_LABELS[k] !== undefined && !(k in before))
    .sort()
    .map((k) => `spec.nodeSelector[${k}]: ${DEPRECATED_NODE_LABELS[k]}`);
}

export const podStrategy: Strategy = {
  ...defaultStrategy,
  prepareForCreate(info, obj) {
    (obj as PodLike).status = { ...emptyStatus(info), phase: "Pending", qosClass: podQosClass(obj) };
  },
  /**
   * The request's grace period, else for a pod bound to a node its own terminationGracePeriodSeconds
   * (the kubelet stops it, then deletes with 0); an unbound or finished pod goes at once.
   */
  gracePeriod(obj, requested) {
    const pod = obj as PodLike & { status?: { phase?: string } };
    if (!pod.spec?.nodeName) return 0;
    const phase = pod.status?.phase;
    if (phase === "Succeeded" || phase === "Failed") return 0;
    return Math.max(0, requested ?? pod.spec.terminationGracePeriodSeconds ?? 30);
  },
  gracefulPending: (obj) => (obj.metadata?.deletionGracePeriodSeconds ?? 0) > 0,
  warnings: podWarnings,
};
