// The cloud-node controller: initialises tainted Nodes from the provider (addresses, providerID, labels), taints shut-down machines and deletes Nodes whose machine is gone.
import { isDeepStrictEqual } from "node:util";
import { coreV1Node, isConflict, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import type { Lister } from "@kubeplane/client";
import type { Reconciler, Request, Result } from "@kubeplane/controller";
import type { InstanceMetadata, Instances, Zones } from "../provider/interface.js";
import type { ControllerContext } from "./context.js";

type Node = coreV1Node.Node;
type Taint = coreV1Node.Taint;

/** The kubelet registers a Node with this taint when started with an external cloud provider. */
export const UNINITIALIZED_TAINT = "node.cloudprovider.kubernetes.io/uninitialized";
/** Kubernetes' taint for a Node whose machine is shut down. */
export const SHUTDOWN_TAINT = "node.cloudprovider.kubernetes.io/shutdown";
export const ZONE_LABEL = "topology.kubernetes.io/zone";
export const REGION_LABEL = "topology.kubernetes.io/region";
export const INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type";

export const nodeKind = kindFor("v1", "Node") as KindInfo<Node>;

function isReady(node: Node): boolean {
  return node.status?.conditions.find((c) => c.type === "Ready")?.status === "True";
}

/** The provider's addresses; the kubelet's Hostname address stays when the provider has none. */
function desiredAddresses(node: Node, meta: InstanceMetadata): coreV1Node.NodeAddress[] {
  const addresses = meta.addresses.map((a) => ({ type: a.type, address: a.address }));
  const hostname = node.status?.addresses.find((a) => a.type === "Hostname");
  if (hostname && !addresses.some((a) => a.type === "Hostname")) addresses.push({ type: hostname.type, address: hostname.address });
  return addresses;
}

/**
 * Reconciles one Node (key: its name) against the provider, as Kubernetes' cloud-node and
 * cloud-node-lifecycle controllers do together. Like the latter, it deletes or taints only Nodes
 * that are not Ready: a Ready kubelet is better evidence than an inventory. Safe for concurrent
 * reconciles of different Nodes; everything it decides on is in the API or the provider.
 */
export class CloudNodeReconciler implements Reconciler {
  constructor(
    private readonly ctx: ControllerContext,
    private readonly instances: Instances,
    private readonly zones: Zones | undefined,
    private readonly nodes: Lister<Node>,
  ) {}

  async reconcile({ name }: Request, signal: AbortSignal): Promise<Result> {
    let node = this.nodes.get("", name);
    if (!node || node.metadata?.deletionTimestamp) return {};
    const again = { requeueAfterMs: this.ctx.config.nodeMonitorPeriod };
    let meta = await this.instances.instanceMetadata(node);
    // Providers whose instance metadata has no topology answer it through Zones (Kubernetes' fallback).
    if (meta && !meta.zone && !meta.region && this.zones) meta = { ...meta, ...(await this.zones.getZone(node)) };
    if (!meta) {
      if (isReady(node)) {
        this.ctx.logger.warn({ controller: "cloud-node", kind: "Node", name }, "node is not in the provider but is Ready; leaving it");
        return again;
      }
      await this.deleteNode(node, signal);
      return {};
    }

    // Addresses only at initialisation: afterwards status.addresses is the kubelet's (it reports
    // the host's), and two writers would overwrite each other forever.
    const addresses = desiredAddresses(node, meta);
    if (hasTaint(node, UNINITIALIZED_TAINT) && !isDeepStrictEqual(addresses, node.status?.addresses ?? [])) {
      const updated = coreV1Node.Node.fromPartial(node);
      updated.status = coreV1Node.NodeStatus.fromPartial({ ...node.status, addresses });
      node = (await this.ctx.client.updateStatus(nodeKind, updated, { signal })) as Node;
    }

    const shutdown = !isReady(node) && (await this.instances.instanceShutdown(node));
    const next = this.desiredSpec(node, meta, shutdown);
    if (next) {
      const initialising = hasTaint(node, UNINITIALIZED_TAINT);
      await this.ctx.client.update(nodeKind, next, { signal });
      if (initialising) {
        const created = Date.parse(node.metadata?.creationTimestamp ?? "");
        if (!Number.isNaN(created)) this.ctx.metrics.taintRemovalDelay.observe(Math.max(0, (Date.now() - created) / 1000));
        this.ctx.logger.info({ controller: "cloud-node", kind: "Node", name, providerID: meta.providerId }, "node initialised");
      }
      if (shutdown !== hasTaint(node, SHUTDOWN_TAINT)) this.ctx.logger.info({ controller: "cloud-node", kind: "Node", name, shutdown }, "node shutdown taint updated");
    }
    return again;
  }

  /** The Node with providerID, labels and taints as they should be, or undefined when already so. */
  private desiredSpec(node: Node, meta: InstanceMetadata, shutdown: boolean): Node | undefined {
    const next = coreV1Node.Node.fromPartial(node);
    const spec = next.spec ?? coreV1Node.NodeSpec.fromPartial({});
    next.spec = spec;
    const labels = (next.metadata!.labels ??= {});
    if (hasTaint(node, UNINITIALIZED_TAINT)) {
      // Labels only at initialisation, as Kubernetes does: later edits by the admin win.
      for (const [k, v] of Object.entries(meta.labels)) labels[k] = v;
      if (meta.zone) labels[ZONE_LABEL] = meta.zone;
      if (meta.region) labels[REGION_LABEL] = meta.region;
      if (meta.instanceType) labels[INSTANCE_TYPE_LABEL] = meta.instanceType;
      spec.taints = spec.taints.filter((t) => t.key !== UNINITIALIZED_TAINT);
      spec.providerId ||= meta.providerId;
    }
    if (shutdown && !hasTaint(node, SHUTDOWN_TAINT)) spec.taints = [...spec.taints, { key: SHUTDOWN_TAINT, value: "", effect: "NoSchedule", timeAdded: "" } satisfies Taint];
    if (!shutdown && hasTaint(node, SHUTDOWN_TAINT)) spec.taints = spec.taints.filter((t) => t.key !== SHUTDOWN_TAINT);
    return isDeepStrictEqual(next, node) ? undefined : next;
  }

  private async deleteNode(node: Node, signal: AbortSignal): Promise<void> {
    const name = node.metadata!.name;
    try {
      await this.ctx.client.delete(nodeKind, "", name, { preconditions: { uid: node.metadata!.uid }, signal });
      this.ctx.logger.info({ controller: "cloud-node", kind: "Node", name }, "deleted node: its machine is no longer in the provider");
      this.ctx.events.record(nodeKind, node, "Normal", "DeletingNode", `Deleting node ${name} because it does not exist in the cloud provider`);
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
}

function hasTaint(node: Node, key: string): boolean {
  return (node.spec?.taints ?? []).some((t) => t.key === key);
}

/** Builds the cloud-node controller: initializes and removes Nodes from the provider's instances, on the context's manager. */
export function newCloudNodeController(ctx: ControllerContext): void {
  const instances = ctx.provider.instances();
  if (!instances) {
    ctx.logger.warn({ controller: "cloud-node", provider: ctx.provider.name }, "the provider has no Instances; cloud-node controller not started");
    return;
  }
  const informer = ctx.informers.informerFor(nodeKind);
  const controller = ctx.manager.newController({ name: "cloud-node", reconciler: new CloudNodeReconciler(ctx, instances, ctx.provider.zones(), informer.lister) });
  controller.watch(informer);
  ctx.provider.onChange(() => informer.lister.list().forEach((n) => controller.enqueue(n)));
}
