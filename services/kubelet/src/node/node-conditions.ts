// The node conditions a kubelet posts: Ready from its health, and the pressure conditions.
import type { coreV1Node } from "@kubeplane/api";

type NodeCondition = coreV1Node.NodeCondition;

/** What the kubelet's `healthy()` callback answers: ready, or not ready and why. */
export type NodeHealth = { ready: true } | { ready: false; message: string };

/** A metav1.Time: RFC 3339 in UTC with second precision. */
export function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A metav1.MicroTime: RFC 3339 in UTC with microseconds. */
export function formatMicroTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/**
 * The conditions to post at `now`: Ready (KubeletReady, or KubeletNotReady with the health
 * message) and MemoryPressure/DiskPressure/PIDPressure False. A condition whose status is
 * unchanged from `previous` keeps its lastTransitionTime; every heartbeat time becomes `now`.
 * Conditions of other types in `previous` (written by others) are kept as they are.
 */
export function nodeConditions(previous: readonly NodeCondition[], health: NodeHealth, now: Date): NodeCondition[] {
  const at = formatTime(now);
  const own: Array<Pick<NodeCondition, "type" | "status" | "reason" | "message">> = [
    { type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory", message: "kubelet has sufficient memory available" },
    { type: "DiskPressure", status: "False", reason: "KubeletHasNoDiskPressure", message: "kubelet has no disk pressure" },
    { type: "PIDPressure", status: "False", reason: "KubeletHasSufficientPID", message: "kubelet has sufficient PID available" },
    health.ready
      ? { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" }
      : { type: "Ready", status: "False", reason: "KubeletNotReady", message: health.message },
  ];
  const ownTypes = new Set(own.map((c) => c.type));
  const out: NodeCondition[] = previous.filter((c) => !ownTypes.has(c.type)).map((c) => ({ ...c }));
  for (const c of own) {
    const before = previous.find((p) => p.type === c.type);
    const lastTransitionTime = before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : at;
    out.push({ ...c, lastHeartbeatTime: at, lastTransitionTime });
  }
  return out;
}
