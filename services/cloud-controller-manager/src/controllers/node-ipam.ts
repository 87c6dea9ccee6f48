// The node-ipam controller: every Node without a spec.podCIDR gets the lowest free one from the cluster CIDR.
import { coreV1Node, isConflict, isNotFound } from "@kubeplane/api";
import type { Lister } from "@kubeplane/client";
import type { Reconciler, Request, Result } from "@kubeplane/controller";
import { CidrSet } from "./cidr-set.js";
import { nodeKind } from "./cloud-node.js";
import type { ControllerContext } from "./context.js";

type Node = coreV1Node.Node;

/**
 * Kubernetes' range allocator. Runs on ONE worker so two Nodes never get the same CIDR; the set
 * is rebuilt from every Node's spec.podCIDR on the first reconcile (after caches synced), and a
 * CIDR reserved for a Node whose write failed stays its own on the retry.
 */
export class NodeIpamReconciler implements Reconciler {
  private restored = false;
  private readonly warned = new Set<string>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly cidrs: CidrSet,
    private readonly nodes: Lister<Node>,
  ) {}

  async reconcile({ name }: Request, signal: AbortSignal): Promise<Result> {
    if (!this.restored) {
      for (const n of this.nodes.list()) if (n.spec?.podCidr) this.cidrs.occupy(n.metadata!.name, n.spec.podCidr);
      this.restored = true;
    }
    try {
      const node = this.nodes.get("", name);
      if (!node) {
        this.cidrs.release(name);
        this.warned.delete(name);
        return {};
      }
      if (node.spec?.podCidr) {
        this.cidrs.occupy(name, node.spec.podCidr);
        return {};
      }
      const cidr = this.cidrs.allocate(name);
      if (!cidr) {
        if (!this.warned.has(name)) {
          this.warned.add(name);
          this.ctx.events.record(nodeKind, node, "Warning", "CIDRNotAvailable", `Node ${name} status is now: CIDRNotAvailable (no free /${this.cidrs.maskSize} in ${this.ctx.config.clusterCidr})`);
        }
        // Retried when a Node is deleted (every Node is requeued then).
        return {};
      }
      await this.assign(node, cidr, signal);
      return {};
    } finally {
      this.ctx.metrics.cidrUsage.set({ clusterCIDR: this.ctx.config.clusterCidr }, this.cidrs.used / this.cidrs.count);
    }
  }

  private async assign(node: Node, cidr: string, signal: AbortSignal): Promise<void> {
    const updated = coreV1Node.Node.fromPartial(node);
    updated.spec = coreV1Node.NodeSpec.fromPartial({ ...node.spec, podCidr: cidr, podCidrs: [cidr] });
    try {
      await this.ctx.client.update(nodeKind, updated, { signal });
    } catch (err) {
      if (isNotFound(err)) return;
      if (!isConflict(err)) this.cidrs.release(node.metadata!.name);
      throw err;
    }
    this.warned.delete(node.metadata!.name);
    this.ctx.logger.info({ controller: "node-ipam", kind: "Node", name: node.metadata!.name, podCIDR: cidr }, "pod CIDR assigned");
  }
}

/** Builds the node-ipam controller: assigns each Node a pod CIDR, on the context's manager. */
export function newNodeIpamController(ctx: ControllerContext): void {
  const cidrs = new CidrSet(ctx.config.clusterCidr, ctx.config.nodeCidrMaskSize);
  const informer = ctx.informers.informerFor(nodeKind);
  const controller = ctx.manager.newController({ name: "node-ipam", reconciler: new NodeIpamReconciler(ctx, cidrs, informer.lister), workers: 1 });
  informer.addEventHandler({
    onAdd: (n) => controller.enqueue(n),
    onUpdate: (old, cur) => {
      if (old.spec?.podCidr !== cur.spec?.podCidr || !cur.spec?.podCidr) controller.enqueue(cur);
    },
    // A freed CIDR may be what a waiting Node needs.
    onDelete: (n) => {
      controller.enqueue(n);
      for (const other of informer.lister.list()) if (!other.spec?.podCidr) controller.enqueue(other);
    },
  });
}
