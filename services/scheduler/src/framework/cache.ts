// The scheduler cache: nodes and the pods on them (bound or assumed), kept incrementally from informers.
import { coreV1Node } from "@kubeplane/api";
import type { Node, Pod, PodInfo } from "./interface.js";
import { MutableNodeInfo, nextGeneration } from "./node-info.js";
import { newPodInfo } from "./pod-info.js";
import type { NodeSnapshot } from "./snapshot.js";

type ImageState = { sizeBytes: number; numNodes: number };

interface PodState {
  info: PodInfo;
  nodeName: string;
  assumed: boolean;
  /** Set once binding finished: an assumed pod not seen bound by then is dropped. */
  deadline?: number;
}

function keyOf(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}

function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed";
}

/**
 * What the scheduler believes is on each node. Informer handlers call the node and pod methods;
 * the scheduling cycle calls `assumePod` (so the next cycle counts a pod whose binding is still in
 * flight), `finishBinding` and `forgetPod`. Each change bumps the NodeInfo's generation, so
 * `updateSnapshot` copies only what changed. Single-threaded: the event loop.
 */
export class SchedulerCache {
  private readonly nodes = new Map<string, MutableNodeInfo>();
  /** Nodes that exist (a NodeInfo can exist for pods whose node is not known yet). */
  private readonly realNodes = new Set<string>();
  private readonly pods = new Map<string, PodState>();
  private readonly images = new Map<string, ImageState>();
  private nodeSetGeneration = nextGeneration();
  /**
   * Names of nodes whose NodeInfo changed, in the order of change (repeats allowed), so a snapshot
   * catches up from its position in O(changes) instead of visiting every node each cycle, as
   * kube-scheduler's generation-ordered list does. Cut when it grows past a few times the node
   * count; `changeLogEpoch` then moves and snapshots fall back to one full comparison.
   */
  private changeLog: string[] = [];
  private changeLogEpoch = nextGeneration();

  constructor(private readonly assumedTtlMs = 30_000, private readonly now: () => number = Date.now) {}

  get nodeCount(): number {
    return this.realNodes.size;
  }

  addNode(node: Node): void {
    const name = node.metadata?.name ?? "";
    this.touch(name);
    let info = this.nodes.get(name);
    if (info) {
      this.releaseImages(info);
      info.setNode(node);
    } else {
      info = new MutableNodeInfo(node);
      this.nodes.set(name, info);
    }
    if (!this.realNodes.has(name)) {
      this.realNodes.add(name);
      this.nodeSetGeneration = nextGeneration();
    }
    info.imageStates = this.acquireImages(node);
  }

  updateNode(node: Node): void {
    this.addNode(node);
  }

  removeNode(node: Node): void {
    const name = node.metadata?.name ?? "";
    const info = this.nodes.get(name);
    if (!info) return;
    this.touch(name);
    this.releaseImages(info);
    this.realNodes.delete(name);
    this.nodeSetGeneration = nextGeneration();
    // Pods still bound to it keep a placeholder until they go (as kube-scheduler does).
    if (info.pods.length === 0) this.nodes.delete(name);
  }

  /** A pod seen by the informer: counted on its node when bound and not terminal. */
  addPod(pod: Pod): void {
    const key = keyOf(pod);
    const nodeName = pod.spec?.nodeName ?? "";
    if (!nodeName || isTerminal(pod)) {
      this.removePod(pod);
      return;
    }
    const current = this.pods.get(key);
    if (current) this.removeFromNode(key, current.nodeName);
    const info = newPodInfo(pod);
    this.pods.set(key, { info, nodeName, assumed: false });
    this.nodeFor(nodeName).addPod(info);
  }

  updatePod(pod: Pod): void {
    this.addPod(pod);
  }

  removePod(pod: Pod): void {
    const key = keyOf(pod);
    const current = this.pods.get(key);
    if (!current) return;
    this.pods.delete(key);
    this.removeFromNode(key, current.nodeName);
  }

  /** Counts `pod` on `nodeName` before its binding is confirmed. */
  assumePod(podInfo: PodInfo, nodeName: string): PodInfo {
    const pod = { ...podInfo.pod, spec: podInfo.pod.spec ? { ...podInfo.pod.spec, nodeName } : undefined } as Pod;
    const info: PodInfo = { ...podInfo, pod };
    const current = this.pods.get(podInfo.key);
    if (current) this.removeFromNode(podInfo.key, current.nodeName);
    this.pods.set(podInfo.key, { info, nodeName, assumed: true });
    this.nodeFor(nodeName).addPod(info);
    return info;
  }

  /** The binding call returned: the assumed pod now expires unless the informer confirms it. */
  finishBinding(key: string): void {
    const state = this.pods.get(key);
    if (state?.assumed) state.deadline = this.now() + this.assumedTtlMs;
  }

  /** Undoes `assumePod` (binding failed). */
  forgetPod(key: string): void {
    const state = this.pods.get(key);
    if (!state?.assumed) return;
    this.pods.delete(key);
    this.removeFromNode(key, state.nodeName);
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed ?? false;
  }

  /** Drops assumed pods whose binding finished long ago but was never seen (call periodically). */
  cleanupExpired(): void {
    const now = this.now();
    for (const [key, state] of this.pods) {
      if (state.assumed && state.deadline !== undefined && state.deadline <= now) {
        this.pods.delete(key);
        this.removeFromNode(key, state.nodeName);
      }
    }
  }

  /**
   * Brings `snapshot` up to date, cloning only NodeInfos whose generation changed. Returns the
   * names of the nodes re-copied, or undefined when the node set changed and the snapshot was
   * rebuilt (opportunistic batching drops its batches then).
   */
  updateSnapshot(snapshot: NodeSnapshot): string[] | undefined {
    const log = this.changeLog;
    let changed: string[] | undefined;
    if (snapshot.cacheNodeSetGeneration === this.nodeSetGeneration && snapshot.cacheChangeLogEpoch === this.changeLogEpoch) {
      // Same nodes as last time: re-copy those changed since the snapshot's place in the log.
      changed = [];
      for (let i = snapshot.cacheChangeLogPosition; i < log.length; i++) {
        const name = log[i]!;
        const info = this.nodes.get(name);
        const copy = snapshot.infos.get(name);
        if (info && copy && copy.generation !== info.generation) {
          snapshot.replace(info.clone());
          changed.push(name);
        }
      }
    } else {
      for (const name of this.realNodes) {
        const info = this.nodes.get(name)!;
        const copy = snapshot.infos.get(name);
        if (!copy || copy.generation !== info.generation) snapshot.infos.set(name, info.clone());
      }
      if (snapshot.infos.size !== this.realNodes.size) {
        for (const name of snapshot.infos.keys()) if (!this.realNodes.has(name)) snapshot.infos.delete(name);
      }
      snapshot.rebuild(this.realNodes);
      snapshot.cacheNodeSetGeneration = this.nodeSetGeneration;
      snapshot.cacheChangeLogEpoch = this.changeLogEpoch;
    }
    snapshot.cacheChangeLogPosition = log.length;
    return changed;
  }

  /** Records that `name`'s NodeInfo is about to change (see changeLog). */
  private touch(name: string): void {
    if (this.changeLog.length >= 4 * Math.max(1024, this.nodes.size)) {
      this.changeLog = [];
      this.changeLogEpoch = nextGeneration();
    }
    this.changeLog.push(name);
  }

  /** The NodeInfo of `name` (a placeholder for an unknown node), about to be changed by the caller. */
  private nodeFor(name: string): MutableNodeInfo {
    this.touch(name);
    let info = this.nodes.get(name);
    if (!info) {
      info = new MutableNodeInfo(coreV1Node.Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: { name } }));
      this.nodes.set(name, info);
    }
    return info;
  }

  private removeFromNode(key: string, nodeName: string): void {
    const info = this.nodes.get(nodeName);
    if (!info) return;
    this.touch(nodeName);
    info.removePod(key);
    if (!this.realNodes.has(nodeName) && info.pods.length === 0) this.nodes.delete(nodeName);
  }

  private acquireImages(node: Node): Map<string, ImageState> {
    const mine = new Map<string, ImageState>();
    for (const image of node.status?.images ?? []) {
      for (const name of image.names) {
        if (mine.has(name)) continue;
        let state = this.images.get(name);
        if (!state) {
          state = { sizeBytes: image.sizeBytes, numNodes: 0 };
          this.images.set(name, state);
        }
        state.numNodes++;
        mine.set(name, state);
      }
    }
    return mine;
  }

  private releaseImages(info: MutableNodeInfo): void {
    for (const [name, state] of info.imageStates) {
      state.numNodes--;
      if (state.numNodes <= 0) this.images.delete(name);
    }
    info.imageStates = new Map();
  }
}
