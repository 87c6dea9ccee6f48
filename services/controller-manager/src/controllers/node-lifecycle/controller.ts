// The node lifecycle controller: silent nodes become Ready=Unknown, unhealthy nodes are tainted, and pods that do not tolerate a node's NoExecute taints are evicted.
import { coreV1Node, isConflict, isNotFound, kindFor, type coordinationV1, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import type { Lister } from "@kubeplane/client";
import type { Reconciler, Request, Result } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";
import type { EventRecorder } from "../event-recorders.js";
import { formatTime, lastHeartbeatMs, markedUnknown, parseTimeMs, readinessOf } from "./node-health.js";
import { noExecuteTaints, reconcileHealthTaints } from "./taints.js";
import { evictionDecision, withDefaultTolerations } from "./tolerations.js";

type Node = coreV1Node.Node;
type Taint = coreV1Node.Taint;
type Lease = coordinationV1.Lease;
type Pod = coreV1Pod.Pod;

/** Where kubelets renew their heartbeat Lease, named after their node. */
export const NODE_LEASE_NAMESPACE = "kube-node-lease";

const nodes = kindFor("v1", "Node") as KindInfo<Node>;
const leases = kindFor("coordination.k8s.io/v1", "Lease") as KindInfo<Lease>;
const pods = kindFor("v1", "Pod") as KindInfo<Pod>;

/**
 * Reconciles one node (key: its name) from the informers' caches: its health from heartbeats, its
 * health taints, and evictions of its pods. Everything it decides on is stored in the API (taints'
 * timeAdded is the eviction clock), so a restarted or newly elected controller-manager picks up
 * where the last one stopped. Safe for concurrent reconciles of different nodes.
 */
export class NodeLifecycleReconciler implements Reconciler {
  private fullDisruption = false;
  /** When NoExecute taints written without timeAdded (by someone else) were first seen, by node. */
  private readonly firstSeen = new Map<string, Map<string, number>>();
  /** Node status changes, as Kubernetes' node-controller (RecordNodeStatusChange). */
  private readonly nodeEvents: EventRecorder;
  /** Evictions, as Kubernetes' taint-eviction-controller. */
  private readonly evictionEvents: EventRecorder;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly listers: { nodes: Lister<Node>; leases: Lister<Lease>; pods: Lister<Pod> },
  ) {
    this.nodeEvents = ctx.recorder("node-controller");
    this.evictionEvents = ctx.recorder("taint-eviction-controller");
  }

  async reconcile({ name }: Request, signal: AbortSignal): Promise<Result> {
    let node = this.listers.nodes.get("", name);
    if (!node) {
      this.firstSeen.delete(name);
      return {};
    }
    const { client, config } = this.ctx;
    const now = this.ctx.now();
    const nowMs = now.getTime();
    const silentMs = nowMs - lastHeartbeatMs(node, this.listers.leases.get(NODE_LEASE_NAMESPACE, name));
    // A heartbeat makes no event when it stops: look again just after this one runs out.
    let requeueMs: number | undefined = silentMs <= config.nodeMonitorGracePeriod ? config.nodeMonitorGracePeriod - silentMs + 1 : undefined;

    if (requeueMs === undefined) {
      const conditions = markedUnknown(node, now);
      if (conditions) {
        const updated = coreV1Node.Node.fromPartial(node);
        updated.status = coreV1Node.NodeStatus.fromPartial({ ...node.status, conditions });
        const wasReady = readinessOf(node) === "ready";
        node = await client.updateStatus(nodes, updated, { signal }) as Node;
        if (wasReady) this.nodeEvents.record(nodes, node, "Normal", "NodeNotReady", `Node ${name} status is now: NodeNotReady`);
        this.ctx.logger.warn({ controller: "nodelifecycle", kind: "Node", name, silentMs }, "kubelet stopped posting node status; node marked Unknown");
      }
    }

    const taints = reconcileHealthTaints(node.spec?.taints ?? [], readinessOf(node), formatTime(now));
    if (taints) {
      const updated = coreV1Node.Node.fromPartial(node);
      updated.spec = coreV1Node.NodeSpec.fromPartial({ ...node.spec, taints });
      node = await client.update(nodes, updated, { signal }) as Node;
      this.ctx.logger.info({ controller: "nodelifecycle", kind: "Node", name, taints: taints.map((t) => `${t.key}:${t.effect}`) }, "node taints updated");
    }

    const evictMs = await this.evictPods(node, nowMs, signal);
    if (evictMs !== undefined) requeueMs = Math.min(requeueMs ?? Infinity, evictMs);
    return requeueMs === undefined ? {} : { requeueAfterMs: requeueMs };
  }

  /** Evicts the node's pods whose time is up; returns ms until the next one's is, if any. */
  private async evictPods(node: Node, nowMs: number, signal: AbortSignal): Promise<number | undefined> {
    const name = node.metadata!.name;
    const taints = noExecuteTaints(node.spec?.taints ?? []);
    const taintStartMs = this.taintClock(name, taints, nowMs);
    if (taints.length === 0) return undefined;
    const candidates = this.listers.pods.byIndex("node", name).filter((p) => !p.metadata?.deletionTimestamp);
    if (candidates.length === 0) return undefined;
    if (this.allNodesUnhealthy(nowMs)) {
      // Kubernetes' full disruption: when every node looks down the likelier fault is ours or the
      // network's, and evicting everything would only make it worse. Check again later.
      return Math.max(1000, this.ctx.config.nodeMonitorGracePeriod / 4);
    }
    const defaultSeconds = this.ctx.config.podEvictionTimeout / 1000;
    let nextMs: number | undefined;
    for (const pod of candidates) {
      const decision = evictionDecision(withDefaultTolerations(pod.spec?.tolerations ?? [], defaultSeconds), taints, taintStartMs);
      if (decision.evict === "never") continue;
      if (decision.evict === "at" && decision.atMs > nowMs) {
        nextMs = Math.min(nextMs ?? Infinity, decision.atMs - nowMs);
        continue;
      }
      await this.evict(pod, name, signal);
    }
    return nextMs;
  }

  private async evict(pod: Pod, node: string, signal: AbortSignal): Promise<void> {
    const { namespace = "", name = "", uid } = pod.metadata ?? {};
    try {
      await this.ctx.client.delete(pods, namespace, name, { preconditions: { uid }, signal });
      this.evictionEvents.record(pods, pod, "Normal", "TaintManagerEviction", `Marking for deletion Pod ${namespace}/${name}`);
      this.ctx.logger.info({ controller: "nodelifecycle", kind: "Pod", namespace, name, node }, "evicted pod from tainted node");
    } catch (err) {
      // Gone already, or replaced by a new pod of the same name: nothing to evict.
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  /** When each NoExecute taint started counting: its timeAdded, or when first seen without one. */
  private taintClock(node: string, taints: readonly Taint[], nowMs: number): (t: Taint) => number {
    const previous = this.firstSeen.get(node);
    const seen = new Map<string, number>();
    for (const t of taints) {
      if (parseTimeMs(t.timeAdded) !== undefined) continue;
      const key = `${t.key}=${t.value}:${t.effect}`;
      seen.set(key, previous?.get(key) ?? nowMs);
    }
    if (seen.size > 0) this.firstSeen.set(node, seen);
    else this.firstSeen.delete(node);
    return (t) => parseTimeMs(t.timeAdded) ?? seen.get(`${t.key}=${t.value}:${t.effect}`) ?? nowMs;
  }

  private allNodesUnhealthy(nowMs: number): boolean {
    const grace = this.ctx.config.nodeMonitorGracePeriod;
    const all = this.listers.nodes.list();
    const down = all.every((n) => readinessOf(n) !== "ready" || nowMs - lastHeartbeatMs(n, this.listers.leases.get(NODE_LEASE_NAMESPACE, n.metadata!.name)) > grace);
    if (down !== this.fullDisruption) {
      this.fullDisruption = down;
      if (down) this.ctx.logger.warn({ controller: "nodelifecycle", nodes: all.length }, "every node is unhealthy: entering full disruption mode, no pods are evicted");
      else this.ctx.logger.info({ controller: "nodelifecycle", nodes: all.length }, "a node is healthy again: leaving full disruption mode");
    }
    return down;
  }
}

/** Builds the controller: nodes, their Leases and (for tainted nodes) their pods enqueue the node. */
export function newNodeLifecycleController(ctx: ControllerContext): void {
  const nodeInformer = ctx.informers.informerFor(nodes);
  const leaseInformer = ctx.informers.informerFor(leases);
  const podInformer = ctx.informers.informerFor(pods);
  const reconciler = new NodeLifecycleReconciler(ctx, { nodes: nodeInformer.lister, leases: leaseInformer.lister, pods: podInformer.lister });
  const controller = ctx.manager.newController({ name: "nodelifecycle", reconciler });
  controller.watch(nodeInformer);
  controller.watch(leaseInformer, (l) => (l.metadata?.namespace === NODE_LEASE_NAMESPACE ? [l.metadata.name] : []));
  // Only a pod on a node with NoExecute taints can need evicting; other pod changes are not ours.
  controller.watch(podInformer, (p) => {
    const nodeName = p.spec?.nodeName;
    if (!nodeName || p.metadata?.deletionTimestamp) return [];
    const node = nodeInformer.lister.get("", nodeName);
    return node && noExecuteTaints(node.spec?.taints ?? []).length > 0 ? [nodeName] : [];
  });
}
