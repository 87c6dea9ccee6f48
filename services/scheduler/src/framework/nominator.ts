// The nominator: which pending pods preemption nominated to which node (kube-scheduler's nominator).
import type { Pod, PodInfo, PodNominatorReader } from "./interface.js";
import { newPodInfo } from "./pod-info.js";

const NONE: readonly PodInfo[] = Object.freeze([]);

function keyOf(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}

/**
 * Pending pods by the node they are nominated to. Fed by the scheduling queue from pod events
 * (status.nominatedNodeName) and by the scheduler when preemption nominates a pod (before the
 * status write comes back); a pod leaves it when it is assumed, bound or deleted. Filters count
 * these pods on their node so the room a preemptor freed is not taken by a lower-priority pod.
 * Single-threaded: the event loop.
 */
export class PodNominator implements PodNominatorReader {
  private readonly byNode = new Map<string, Map<string, PodInfo>>();
  private readonly nodeOf = new Map<string, string>();

  /** Records `pod`'s nomination: `nodeName`, else its status.nominatedNodeName; none: nothing. */
  add(pod: Pod | PodInfo, nodeName?: string): void {
    const info = "key" in pod ? pod : newPodInfo(pod);
    const node = nodeName || info.pod.status?.nominatedNodeName || "";
    this.delete(info.pod);
    if (!node || info.pod.spec?.nodeName) return;
    let pods = this.byNode.get(node);
    if (!pods) this.byNode.set(node, (pods = new Map()));
    pods.set(info.key, info);
    this.nodeOf.set(info.key, node);
  }

  /**
   * A pending pod changed. A nomination made in memory survives an update that carries none on
   * both sides (the status write has not come back yet), as kube-scheduler's updateNominatedPod.
   */
  update(old: Pod, pod: Pod): void {
    const kept = !old.status?.nominatedNodeName && !pod.status?.nominatedNodeName ? this.nodeOf.get(keyOf(old)) : undefined;
    this.add(pod, kept);
  }

  /** Forgets `pod`'s nomination (bound, assumed or deleted). */
  delete(pod: Pod): void {
    const key = keyOf(pod);
    const node = this.nodeOf.get(key);
    if (node === undefined) return;
    this.nodeOf.delete(key);
    const pods = this.byNode.get(node);
    pods?.delete(key);
    if (pods?.size === 0) this.byNode.delete(node);
  }

  /** The node `pod` is nominated to, if any. */
  nominatedNodeOf(pod: Pod): string | undefined {
    return this.nodeOf.get(keyOf(pod));
  }

  /** Whether any pod is nominated anywhere (opportunistic batching stands aside then). */
  get empty(): boolean {
    return this.byNode.size === 0;
  }

  nominatedPodsForNode(nodeName: string): readonly PodInfo[] {
    const pods = this.byNode.get(nodeName);
    return pods ? [...pods.values()] : NONE;
  }
}
