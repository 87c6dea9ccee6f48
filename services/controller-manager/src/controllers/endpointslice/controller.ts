// The EndpointSlice controller: keeps each selector Service's discovery/v1 EndpointSlices, rewriting only slices whose content changed.
import { isNotFound, type coreV1Node, type coreV1Pod, type coreV1Service, type discoveryV1 } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import type { Logger, Reconciler, Request, Result } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";
import { endpointSliceKind, nodeKind, podKind, serviceKind } from "../util/endpoint/kinds.js";
import { podEventHandler } from "../util/endpoint/pod-handler.js";
import { addressTypesForService } from "../util/endpoint/pod-endpoints.js";
import { podsForService, serviceSelector } from "../util/endpoint/service-pods.js";
import { desiredEndpointGroups } from "./slice-endpoints.js";
import { managedByLabel, managedByValue, serviceNameLabel } from "../util/endpoint/slice-labels.js";
import { WriteTracker } from "../util/endpoint/write-tracker.js";
import { planServiceSlices, type AddressType, type SlicePlan } from "./slicing.js";
import { isNamespaceTerminating } from "../util/namespace-terminating.js";

type Service = coreV1Service.Service;
type Pod = coreV1Pod.Pod;
type Node = coreV1Node.Node;
type EndpointSlice = discoveryV1.EndpointSlice;

export const zoneLabel = "topology.kubernetes.io/zone";

/** How soon a Service whose slices the cache does not show yet is looked at again (its slice events usually come first). */
const staleCacheRecheckMs = 1000;

/** What the EndpointSlice reconciler reads (shared informer listers, never mutated) and writes through. */
export interface EndpointSliceSyncerOptions {
  client: ApiClient;
  services: Lister<Service>;
  pods: Lister<Pod>;
  slices: Lister<EndpointSlice>;
  nodes: Lister<Node>;
  tracker: WriteTracker;
  /** At most this many endpoints in one slice (Kubernetes' --max-endpoints-per-slice, default 100). */
  maxEndpointsPerSlice: number;
  logger: Logger;
}

/** The slices of `namespace/service` this controller manages (by its labels), found through the label index. */
export function managedSlices(slices: Lister<EndpointSlice>, namespace: string, service: string): EndpointSlice[] {
  return slices
    .byIndex("label", `${serviceNameLabel}=${service}`)
    .filter((s) => s.metadata?.namespace === namespace && s.metadata.labels[managedByLabel] === managedByValue);
}

/** The Service key a slice this controller manages belongs to. */
function serviceKeyOf(slice: EndpointSlice): string[] {
  const labels = slice.metadata?.labels ?? {};
  const service = labels[serviceNameLabel];
  return service && labels[managedByLabel] === managedByValue ? [`${slice.metadata!.namespace}/${service}`] : [];
}

/**
 * Reconciles the EndpointSlices of one Service by key, from the informer caches. A Service that
 * is gone, has no selector or is ExternalName has none of this controller's slices (the garbage
 * collector would delete them too, through their ownerReference). Otherwise planSlices says what
 * to write for each of the Service's address types (its IP families: a dual-stack Service has
 * IPv4 and IPv6 slices); nothing is written when every slice already says what it should. While the cache
 * does not yet show this controller's own earlier writes, nothing is planned. Failed writes are
 * thrown (retried with back-off) after the successful ones are recorded.
 */
export class EndpointSliceSyncer implements Reconciler {
  constructor(private readonly options: EndpointSliceSyncerOptions) {}

  async reconcile({ namespace, name }: Request, signal: AbortSignal): Promise<Result | void> {
    const { services, pods, slices, nodes, tracker, maxEndpointsPerSlice } = this.options;
    const key = `${namespace}/${name}`;
    if (tracker.stale(key, (slice) => slices.get(namespace, slice))) return { requeueAfterMs: staleCacheRecheckMs };
    const existing = managedSlices(slices, namespace, name).filter((s) => !s.metadata?.deletionTimestamp);
    const svc = services.get(namespace, name);
    let plan: SlicePlan;
    if (!svc || !serviceSelector(svc) || svc.spec?.type === "ExternalName") {
      plan = { create: [], update: [], delete: existing };
    } else {
      const zoneOf = (node: string): string | undefined => nodes.get("", node)?.metadata?.labels[zoneLabel];
      const backing = podsForService(pods, svc);
      const desired = (addressType: AddressType): ReturnType<typeof desiredEndpointGroups> => desiredEndpointGroups(svc, backing, zoneOf, addressType);
      plan = planServiceSlices(svc, existing, addressTypesForService(svc), desired, maxEndpointsPerSlice);
    }
    await this.apply(key, plan, signal);
  }

  /** Creates and updates first, then deletes, so endpoints moving between slices never vanish in between. */
  private async apply(key: string, plan: SlicePlan, signal: AbortSignal): Promise<void> {
    const { client, tracker, logger } = this.options;
    if (plan.create.length + plan.update.length + plan.delete.length === 0) return;
    const writes = await Promise.allSettled([
      ...plan.create.map(async (slice) => tracker.written(key, (await client.create(endpointSliceKind, slice, { signal })) as EndpointSlice)),
      ...plan.update.map(async (slice) => tracker.written(key, (await client.update(endpointSliceKind, slice, { signal })) as EndpointSlice)),
    ]);
    const deletes = await Promise.allSettled(
      plan.delete.map(async (slice) => {
        try {
          await client.delete(endpointSliceKind, slice.metadata!.namespace, slice.metadata!.name, { preconditions: { uid: slice.metadata!.uid }, signal });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        tracker.deleted(key, slice);
      }),
    );
    logger.debug({ kind: "EndpointSlice", key, created: plan.create.length, updated: plan.update.length, deleted: plan.delete.length }, "synced endpoint slices");
    const failed = [...writes, ...deletes].find((r): r is PromiseRejectedResult => r.status === "rejected" && !isNamespaceTerminating(r.reason));
    if (failed) throw new Error(`syncing endpoint slices of service ${key}`, { cause: failed.reason });
  }
}

/** Builds the EndpointSlice controller on the context's manager: Services, their pods, nodes and EndpointSlices. */
export function newEndpointSliceController(ctx: ControllerContext): void {
  const services = ctx.informers.informerFor(serviceKind);
  const pods = ctx.informers.informerFor(podKind);
  const slices = ctx.informers.informerFor(endpointSliceKind);
  const nodes = ctx.informers.informerFor(nodeKind);
  const tracker = new WriteTracker();
  const reconciler = new EndpointSliceSyncer({
    client: ctx.client,
    services: services.lister,
    pods: pods.lister,
    slices: slices.lister,
    nodes: nodes.lister,
    tracker,
    maxEndpointsPerSlice: ctx.config.maxEndpointsPerSlice,
    logger: ctx.logger,
  });
  const controller = ctx.manager.newController({ name: "endpointslice", reconciler });
  controller.watch(services);
  slices.addEventHandler({ onDelete: (slice) => serviceKeyOf(slice).forEach((key) => tracker.observedDeleted(key, slice)) });
  // Slices changed or deleted by someone else are put back.
  controller.watch(slices, serviceKeyOf);
  pods.addEventHandler(podEventHandler(services.lister, (key) => controller.enqueueKey(key)));
}
