// Whether a DaemonSet pod belongs on a node: nodeSelector, required node affinity, and taints vs tolerations.
import type { coreV1Node, coreV1Pod, coreV1Types } from "@kubeplane/api";

type Node = coreV1Node.Node;
type Taint = coreV1Node.Taint;
type Toleration = coreV1Pod.Toleration;
type PodSpec = coreV1Pod.PodSpec;
type NodeSelectorRequirement = coreV1Types.NodeSelectorRequirement;

/** What the DaemonSet controller may do on one node. */
export interface NodeEligibility {
  /** A daemon pod should be created here if none runs. */
  shouldRun: boolean;
  /** A daemon pod already here may stay (false: delete it). */
  shouldContinueRunning: boolean;
}

/**
 * The tolerations the DaemonSet controller adds to every daemon pod (Kubernetes'
 * AddOrUpdateDaemonPodTolerations): daemons keep running on not-ready, unreachable, pressured and
 * cordoned nodes, since they are often what makes the node healthy again.
 */
export function daemonPodTolerations(spec: Pick<PodSpec, "hostNetwork">): Toleration[] {
  const t = (key: string, effect: string): Toleration => ({ key, operator: "Exists", value: "", effect });
  const tolerations = [
    t("node.kubernetes.io/not-ready", "NoExecute"),
    t("node.kubernetes.io/unreachable", "NoExecute"),
    t("node.kubernetes.io/disk-pressure", "NoSchedule"),
    t("node.kubernetes.io/memory-pressure", "NoSchedule"),
    t("node.kubernetes.io/pid-pressure", "NoSchedule"),
    t("node.kubernetes.io/unschedulable", "NoSchedule"),
  ];
  if (spec.hostNetwork) tolerations.push(t("node.kubernetes.io/network-unavailable", "NoSchedule"));
  return tolerations;
}

/** `tolerations` plus the daemon defaults, without duplicating ones the user already wrote. */
export function withDaemonTolerations(spec: Pick<PodSpec, "hostNetwork" | "tolerations">): Toleration[] {
  const out = [...spec.tolerations];
  for (const d of daemonPodTolerations(spec)) {
    if (!out.some((t) => t.key === d.key && t.effect === d.effect && t.operator === d.operator)) out.push(d);
  }
  return out;
}

/** Kubernetes' Toleration.ToleratesTaint. */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect !== "" && toleration.effect !== taint.effect) return false;
  if (toleration.key !== "" && toleration.key !== taint.key) return false;
  // An empty key with operator Exists tolerates everything.
  if (toleration.operator === "Exists") return true;
  return (toleration.operator === "" || toleration.operator === "Equal") && toleration.value === taint.value;
}

/** Whether a node's labels satisfy one node selector requirement (In/NotIn/Exists/DoesNotExist/Gt/Lt). */
export function matchesNodeRequirement(labels: Readonly<Record<string, string>>, req: NodeSelectorRequirement): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.operator) {
    case "In":
      return has && req.values.includes(value!);
    case "NotIn":
      return !has || !req.values.includes(value!);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      if (!has || req.values.length !== 1) return false;
      const [a, b] = [parseIntStrict(value!), parseIntStrict(req.values[0]!)];
      if (a === undefined || b === undefined) return false;
      return req.operator === "Gt" ? a > b : a < b;
    }
    default:
      return false;
  }
}

function parseIntStrict(s: string): number | undefined {
  return /^-?\d+$/.test(s) ? Number(s) : undefined;
}

/** Whether `node` passes the pod's nodeSelector and requiredDuringScheduling node affinity (terms ORed, expressions ANDed). */
export function matchesNodeSelectorAndAffinity(spec: Pick<PodSpec, "nodeSelector" | "affinity">, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector)) if (labels[k] !== v) return false;
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  const fields: Record<string, string> = { "metadata.name": node.metadata?.name ?? "" };
  return required.nodeSelectorTerms.some(
    (term) =>
      (term.matchExpressions.length > 0 || term.matchFields.length > 0) &&
      term.matchExpressions.every((r) => matchesNodeRequirement(labels, r)) &&
      term.matchFields.every((r) => matchesNodeRequirement(fields, r)),
  );
}

/**
 * Kubernetes' NodeShouldRunDaemonPod for a pod spec that bypasses the scheduler: a node that fails
 * the selector or affinity gets no pod and loses the one it has; an untolerated NoSchedule taint
 * blocks new pods but keeps running ones; an untolerated NoExecute taint does both.
 */
export function nodeShouldRunDaemonPod(node: Node, spec: PodSpec): NodeEligibility {
  if (!matchesNodeSelectorAndAffinity(spec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = withDaemonTolerations(spec);
  let shouldRun = true;
  let shouldContinueRunning = true;
  for (const taint of node.spec?.taints ?? []) {
    if (taint.effect !== "NoSchedule" && taint.effect !== "NoExecute") continue;
    if (tolerations.some((t) => toleratesTaint(t, taint))) continue;
    shouldRun = false;
    if (taint.effect === "NoExecute") shouldContinueRunning = false;
  }
  return { shouldRun, shouldContinueRunning };
}
