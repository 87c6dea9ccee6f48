// The node-ipam controller: every Node without a spec.podCIDR gets the lowest free one from each cluster CIDR (IPv4, and IPv6 when dual-stack).
import { coreV1Node, isConflict, isNotFound } from "@kubeplane/api";
import type { Lister } from "@kubeplane/client";
import type { Reconciler, Request, Result } from "@kubeplane/controller";
import { CidrSet } from "./cidr-set.js";
import { nodeKind } from "./cloud-node.js";
import type { ControllerContext } from "./context.js";

type Node = coreV1Node.Node;

/**
 * Kubernetes' range allocator. Runs on ONE worker so two Nodes never get the same CIDR; the sets
 * (one per cluster CIDR: dual stack gives each Node an IPv4 and an IPv6 podCIDR, `podCIDR` the
 * first) are rebuilt from every Node's spec.podCIDRs on the first reconcile (after caches synced),
 * and a CIDR reserved for a Node whose write failed stays its own on the retry. A Node that has a
 * podCIDR keeps what it has (as upstream, no second family is added later).
 */
export class NodeIpamReconciler implements Reconciler {
  private restored = false;
  private readonly warned = new Set<string>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly sets: readonly CidrSet[],
    private readonly nodes: Lister<Node>,
  ) {}

  async reconcile({ name }: Request, signal: AbortSignal): Promise<Result> {
    if (!this.restored) {
      for (const n of this.nodes.list()) this.occupyAll(n);
      this.restored = true;
    }
    try {
      const node = this.nodes.get("", name);
      if (!node) {
        for (const set of this.sets) set.release(name);
        this.warned.delete(name);
        return {};
      }
      if (node.spec?.podCidr) {
        this.occupyAll(node);
        return {};
      }
      const cidrs: string[] = [];
      for (const set of this.sets) {
        const cidr = set.allocate(name);
        if (cidr) {
          cidrs.push(cidr);
          continue;
        }
        // All or nothing: what the other families reserved goes back.
        for (const other of this.sets) other.release(name);
        if (!this.warned.has(name)) {
          this.warned.add(name);
          this.ctx.events.record(nodeKind, node, "Warning", "CIDRNotAvailable", `Node ${name} status is now: CIDRNotAvailable (no free /${set.maskSize} in ${set.clusterCidr})`);
        }
        // Retried when a Node is deleted (every Node is requeued then).
        return {};
      }
      await this.assign(node, cidrs, signal);
      return {};
    } finally {
      for (const set of this.sets) this.ctx.metrics.cidrUsage.set({ clusterCIDR: set.clusterCidr }, set.used / set.count);
    }
  }

  /** Records the Node's podCIDRs (podCIDR alone on Nodes written before podCIDRs) in the sets of their families. */
  private occupyAll(n: Node): void {
    const cidrs = n.spec?.podCidrs.length ? n.spec.podCidrs : n.spec?.podCidr ? [n.spec.podCidr] : [];
    for (const cidr of cidrs) for (const set of this.sets) set.occupy(n.metadata!.name, cidr);
  }

  private async assign(node: Node, cidrs: string[], signal: AbortSignal): Promise<void> {
    const updated = coreV1Node.Node.fromPartial(node);
    updated.spec = coreV1Node.NodeSpec.fromPartial({ ...node.spec, podCidr: cidrs[0], podCidrs: cidrs });
    try {
      await this.ctx.client.update(nodeKind, updated, { signal });
    } catch (err) {
      if (isNotFound(err)) return;
      if (!isConflict(err)) for (const set of this.sets) set.release(node.metadata!.name);
      throw err;
    }
    this.warned.delete(node.metadata!.name);
    this.ctx.logger.info({ controller: "node-ipam", kind: "Node", name: node.metadata!.name, podCIDRs: cidrs }, "pod CIDRs assigned");
  }
}

/** Builds the node-ipam controller: assigns each Node a pod CIDR, on the context's manager. */
export function newNodeIpamController(ctx: ControllerContext): void {
  const sets = ctx.config.clusterCidr
    .split(",")
    .filter(Boolean)
    .map((cidr) => new CidrSet(cidr, cidr.includes(":") ? ctx.config.nodeCidrMaskSizeIpv6 : ctx.config.nodeCidrMaskSize));
  const informer = ctx.informers.informerFor(nodeKind);
  const controller = ctx.manager.newController({ name: "node-ipam", reconciler: new NodeIpamReconciler(ctx, sets, informer.lister), workers: 1 });
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
