// The node status sync: builds the status the kubelet reports and writes it only when it changed or a report is due.
import { isDeepStrictEqual } from "node:util";
import { coreV1Node, isConflict, kindFor, type KindInfo } from "@kubeplane/api";
import type { ApiClient, EventType } from "@kubeplane/client";
import type { Logger } from "@kubeplane/service-kit";
import type { ContainerImage } from "./node-images.js";
import { nodeConditions, type NodeHealth } from "./node-conditions.js";
import type { ResourceList } from "./host-info.js";
import { EVENT_REASONS } from "../events.js";
import { Wakeup } from "./wakeup.js";

type Node = coreV1Node.Node;
type NodeStatus = coreV1Node.NodeStatus;

export const nodeKind = kindFor("v1", "Node") as KindInfo<Node>;

/** Records an Event about the Node (in the background; never throws). */
export type NodeEventRecorder = (node: Node, type: EventType, reason: string, message: string) => void;

/** Everything a node status is made of; `images` and `health` are asked at every sync. */
export interface NodeStatusSource {
  capacity: ResourceList;
  allocatable: ResourceList;
  nodeInfo: coreV1Node.NodeSystemInfo;
  addresses: coreV1Node.NodeAddress[];
  kubeletPort: number;
  /** The images on the node, already in NodeStatus form; may throw (the last known images are kept). */
  images(): Promise<ContainerImage[]>;
  health(): NodeHealth;
}

/** The status to post at `now` over `current` (what the apiserver holds): fields others own are kept. */
export function desiredNodeStatus(current: NodeStatus | undefined, source: Omit<NodeStatusSource, "images" | "health">, health: NodeHealth, images: ContainerImage[], now: Date): NodeStatus {
  return coreV1Node.NodeStatus.fromPartial({
    ...current,
    capacity: source.capacity,
    allocatable: source.allocatable,
    conditions: nodeConditions(current?.conditions ?? [], health, now),
    addresses: source.addresses,
    daemonEndpoints: { kubeletEndpoint: { port: source.kubeletPort } },
    nodeInfo: source.nodeInfo,
    images,
  });
}

/** True when `a` and `b` differ in more than their conditions' heartbeat times. */
export function statusChanged(a: NodeStatus | undefined, b: NodeStatus | undefined): boolean {
  const strip = (s: NodeStatus | undefined): NodeStatus => {
    const n = coreV1Node.NodeStatus.fromPartial(s ?? {});
    n.conditions = n.conditions.map((c) => ({ ...c, lastHeartbeatTime: "" }));
    return n;
  };
  return !isDeepStrictEqual(strip(a), strip(b));
}

export interface NodeStatusSyncOptions {
  client: ApiClient;
  logger: Logger;
  nodeName: string;
  source: NodeStatusSource;
  /** How often the status is computed (--node-status-update-frequency); default 10 s. */
  updateIntervalMs?: number;
  /** An unchanged status is still written this often (--node-status-report-frequency); default 1 min. */
  reportIntervalMs?: number;
  now?: () => Date;
  /** Told when a write flips the Ready condition's status (NodeReady / NodeNotReady events). */
  recordEvent?: NodeEventRecorder;
}

/**
 * Keeps the Node's status current: every `updateIntervalMs`, and at once after `trigger()`, it
 * reads the Node, computes the status and writes it through the status subresource when it
 * differs from what is stored or the Ready heartbeat is older than `reportIntervalMs`. State comes
 * from the apiserver on every round, so a restarted kubelet or a status written by someone else
 * (the node lifecycle controller's Unknown) is corrected. One `run` per instance.
 */
export class NodeStatusSync {
  private readonly wakeup = new Wakeup();
  private images: ContainerImage[] = [];
  private latest: Node | undefined;
  private readonly now: () => Date;

  constructor(private readonly opts: NodeStatusSyncOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /** The Node as last read or written. */
  get node(): Node | undefined {
    return this.latest;
  }

  /** Syncs at once (something the status depends on changed). */
  trigger(): void {
    this.wakeup.trigger();
  }

  /** Syncs until the signal aborts; failures are logged and retried at the next round. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.syncOnce(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.opts.logger.warn({ err, kind: "Node", name: this.opts.nodeName }, "node status sync failed; retrying");
      }
      await this.wakeup.wait(this.opts.updateIntervalMs ?? 10_000, signal);
    }
  }

  /** One round: read, compute, write if needed (retrying a few conflicts). Returns whether it wrote. */
  async syncOnce(signal: AbortSignal): Promise<boolean> {
    const { client, source, nodeName } = this.opts;
    const health = safeHealth(source);
    try {
      this.images = await source.images();
    } catch (err) {
      this.opts.logger.warn({ err, kind: "Node", name: nodeName }, "could not list the node's images; reporting the last known");
    }
    for (let attempt = 0; ; attempt++) {
      const node = (await client.get(nodeKind, "", nodeName, { signal })) as Node;
      this.latest = node;
      const now = this.now();
      const status = desiredNodeStatus(node.status, source, health, this.images, now);
      if (!statusChanged(node.status, status) && !this.reportDue(node, now)) return false;
      const updated = coreV1Node.Node.fromPartial({ ...node, status });
      try {
        this.latest = (await client.updateStatus(nodeKind, updated, { signal })) as Node;
        this.recordReadyChange(node.status, status);
        return true;
      } catch (err) {
        if (!isConflict(err) || attempt >= 4) throw err;
      }
    }
  }

  /** As the kubelet's Ready setter: an event when the stored Ready condition's status flips (not when first set). */
  private recordReadyChange(before: NodeStatus | undefined, after: NodeStatus): void {
    const was = before?.conditions.find((c) => c.type === "Ready")?.status;
    const now = after.conditions.find((c) => c.type === "Ready")?.status;
    if (!was || !now || was === now || !this.latest) return;
    const reason = now === "True" ? EVENT_REASONS.NodeReady : EVENT_REASONS.NodeNotReady;
    this.opts.recordEvent?.(this.latest, "Normal", reason, `Node ${this.opts.nodeName} status is now: ${reason}`);
  }

  private reportDue(node: Node, now: Date): boolean {
    const ready = node.status?.conditions.find((c) => c.type === "Ready");
    const last = Date.parse(ready?.lastHeartbeatTime ?? "");
    return Number.isNaN(last) || now.getTime() - last >= (this.opts.reportIntervalMs ?? 60_000);
  }
}

/** The health callback's answer; a throwing callback means not ready. */
export function safeHealth(source: Pick<NodeStatusSource, "health">): NodeHealth {
  try {
    return source.health();
  } catch (err) {
    return { ready: false, message: `health check failed: ${(err as Error).message}` };
  }
}
