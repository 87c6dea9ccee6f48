// Node health from heartbeats: when a node last reported, what its Ready condition says, and marking it Unknown.
import type { coreV1Node, coordinationV1 } from "@kubeplane/api";
import type { NodeReadiness } from "./taints.js";

type Node = coreV1Node.Node;
type NodeCondition = coreV1Node.NodeCondition;
type Lease = coordinationV1.Lease;

/** The conditions a kubelet posts and the controller turns Unknown when it stops (Kubernetes' list). */
export const MONITORED_CONDITIONS = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"] as const;

/** A metav1.Time: RFC 3339 in UTC with second precision. */
export function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A Time or MicroTime as ms since the epoch; undefined when empty or unreadable. */
export function parseTimeMs(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

export function readyCondition(node: Node): NodeCondition | undefined {
  return node.status?.conditions.find((c) => c.type === "Ready");
}

/**
 * When the node last showed life (ms since the epoch): the newer of its Lease's renewTime and its
 * Ready condition's lastHeartbeatTime; a node that never reported counts from its creation.
 */
export function lastHeartbeatMs(node: Node, lease: Lease | undefined): number {
  const beats = [parseTimeMs(lease?.spec?.renewTime), parseTimeMs(readyCondition(node)?.lastHeartbeatTime)].filter((v): v is number => v !== undefined);
  if (beats.length > 0) return Math.max(...beats);
  return parseTimeMs(node.metadata?.creationTimestamp) ?? 0;
}

export function readinessOf(node: Node): NodeReadiness {
  switch (readyCondition(node)?.status) {
    case "True":
      return "ready";
    case "False":
      return "not-ready";
    case undefined:
      return "unreported";
    default:
      return "unreachable";
  }
}

/**
 * The node's conditions once its kubelet is presumed gone: each monitored condition Unknown
 * ("Kubelet stopped posting node status.", or "never posted" for one it never wrote), transition
 * time `now`, heartbeat untouched. Returns undefined when every one already is Unknown.
 */
export function markedUnknown(node: Node, now: Date): NodeCondition[] | undefined {
  const conditions = (node.status?.conditions ?? []).map((c) => ({ ...c }));
  const at = formatTime(now);
  let changed = false;
  for (const type of MONITORED_CONDITIONS) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({
        type,
        status: "Unknown",
        reason: "NodeStatusNeverUpdated",
        message: "Kubelet never posted node status.",
        lastHeartbeatTime: node.metadata?.creationTimestamp ?? at,
        lastTransitionTime: at,
      });
      changed = true;
    } else if (c.status !== "Unknown") {
      Object.assign(c, { status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastTransitionTime: at });
      changed = true;
    }
  }
  return changed ? conditions : undefined;
}
