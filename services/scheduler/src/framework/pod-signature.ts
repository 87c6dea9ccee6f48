// The scheduling signature of a pod (KEP-5598): pods with equal signatures get the same Filter and Score results on any node.
import type { coreV1Pod } from "@kubeplane/api";
import type { Pod } from "./interface.js";

/**
 * A string equal for two pods exactly when every in-tree Filter and Score plugin treats them
 * alike on any node, and placing one changes no other node's results for the other: namespace,
 * labels and scheduler name; per container the image (ImageLocality), requests and limits
 * (NodeResourcesFit, BalancedAllocation) and host ports (NodePorts); overhead; node selector
 * and node affinity (NodeAffinity); tolerations (TaintToleration, NodeUnschedulable); priority
 * (nominated pods counted by Filter). Undefined — never batched — when the results also depend on
 * other pods or objects: pod (anti-)affinity, topology spread constraints, PersistentVolumeClaim
 * or ephemeral volumes, a nominated node, scheduling gates, or a nodeName already set.
 * Conservative on purpose: a field not listed makes two pods differ only if it is in the JSON.
 */
export function podSignature(pod: Pod): string | undefined {
  const spec = pod.spec;
  if (!spec) return undefined;
  if (spec.affinity?.podAffinity || spec.affinity?.podAntiAffinity) return undefined;
  if (spec.topologySpreadConstraints.length > 0 || spec.schedulingGates.length > 0 || spec.nodeName) return undefined;
  if (pod.status?.nominatedNodeName) return undefined;
  for (const v of spec.volumes) {
    if (v.persistentVolumeClaim || (v as { ephemeral?: unknown }).ephemeral || v.csi) return undefined;
  }
  const container = (c: coreV1Pod.Container): unknown => ({
    image: c.image,
    resources: c.resources ? { requests: c.resources.requests, limits: c.resources.limits } : undefined,
    hostPorts: (c.ports ?? []).filter((p) => p.hostPort > 0).map((p) => [p.protocol, p.hostIp, p.hostPort]),
  });
  return JSON.stringify([
    pod.metadata?.namespace ?? "",
    pod.metadata?.labels ?? {},
    spec.schedulerName,
    spec.priority ?? 0,
    spec.containers.map(container),
    spec.initContainers.map(container),
    spec.overhead,
    spec.runtimeClassName ?? "",
    spec.nodeSelector,
    spec.affinity?.nodeAffinity ?? null,
    spec.tolerations,
  ]);
}
