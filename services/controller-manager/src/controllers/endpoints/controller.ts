// The Endpoints controller: keeps each selector Service's core/v1 Endpoints (same name) listing its pods' addresses.
import { coreV1Service, isNotFound, metaV1, type coreV1Pod } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import type { Logger, Reconciler, Request, Result } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";
import { endpointsKind, podKind, serviceKind } from "../util/endpoint/kinds.js";
import { podEventHandler } from "../util/endpoint/pod-handler.js";
import { podsForService, serviceSelector } from "../util/endpoint/service-pods.js";
import { headlessLabel, labelsEqual } from "../util/endpoint/slice-labels.js";
import { desiredSubsets, subsetsEqual } from "./subsets.js";
import { WriteTracker } from "../util/endpoint/write-tracker.js";
import { isNamespaceTerminating } from "../util/namespace-terminating.js";

type Service = coreV1Service.Service;
type Endpoints = coreV1Service.Endpoints;
type Pod = coreV1Pod.Pod;

/** What the Endpoints reconciler reads (shared informer listers, never mutated) and writes through. */
export interface EndpointsSyncerOptions {
  client: ApiClient;
  services: Lister<Service>;
  pods: Lister<Pod>;
  endpoints: Lister<Endpoints>;
  tracker: WriteTracker;
  logger: Logger;
}

/** How soon a Service whose Endpoints the cache does not show at this controller's last write is looked at again (the write's event usually comes first). */
const staleCacheRecheckMs = 1000;

/** The Service's labels, marked headless when it has no cluster IP (as Kubernetes labels its Endpoints). */
function endpointsLabels(svc: Service): Record<string, string> {
  const labels = { ...svc.metadata?.labels };
  const clusterIp = svc.spec?.clusterIp ?? "";
  if (clusterIp === "" || clusterIp === "None") labels[headlessLabel] = "";
  else delete labels[headlessLabel];
  return labels;
}

/**
 * Reconciles the Endpoints of one Service by key, from the informer caches. A Service without a
 * selector is left alone (its Endpoints are someone else's); a missing Service's Endpoints are
 * deleted. Writes only when subsets or labels differ from the cached Endpoints, and only once the
 * cache shows its own last write; a Conflict or AlreadyExists (someone else's write the cache does
 * not show yet) is thrown, and the retry reads the newer cache.
 */
export class EndpointsSyncer implements Reconciler {
  constructor(private readonly options: EndpointsSyncerOptions) {}

  async reconcile({ namespace, name }: Request, signal: AbortSignal): Promise<Result | void> {
    const { client, services, pods, endpoints, tracker, logger } = this.options;
    const key = `${namespace}/${name}`;
    if (tracker.stale(key, (n) => endpoints.get(namespace, n))) return { requeueAfterMs: staleCacheRecheckMs };
    const svc = services.get(namespace, name);
    const current = endpoints.get(namespace, name);
    if (!svc) {
      if (!current) return;
      try {
        await client.delete(endpointsKind, namespace, name, { preconditions: { uid: current.metadata!.uid }, signal });
        tracker.deleted(key, current);
        logger.debug({ kind: "Endpoints", namespace, name }, "deleted endpoints of a deleted service");
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }
    if (!serviceSelector(svc)) return;
    const subsets = desiredSubsets(svc, podsForService(pods, svc));
    const labels = endpointsLabels(svc);
    if (current && subsetsEqual(current.subsets, subsets) && labelsEqual(current.metadata?.labels ?? {}, labels)) return;
    try {
      if (current) {
        const updated: Endpoints = { ...current, metadata: metaV1.ObjectMeta.fromPartial({ ...current.metadata, labels }), subsets };
        tracker.written(key, await client.update(endpointsKind, updated, { signal }));
      } else {
        const created = coreV1Service.Endpoints.fromPartial({ apiVersion: "v1", kind: "Endpoints", metadata: { name, namespace, labels }, subsets });
        tracker.written(key, await client.create(endpointsKind, created, { signal }));
      }
    } catch (err) {
      // A namespace being deleted takes the Endpoints with it.
      if (isNamespaceTerminating(err)) return;
      throw err;
    }
    logger.debug({ kind: "Endpoints", namespace, name, subsets: subsets.length }, current ? "updated endpoints" : "created endpoints");
  }
}

/** Builds the Endpoints controller on the context's manager: Services, their pods and their Endpoints. */
export function newEndpointsController(ctx: ControllerContext): void {
  const services = ctx.informers.informerFor(serviceKind);
  const pods = ctx.informers.informerFor(podKind);
  const endpoints = ctx.informers.informerFor(endpointsKind);
  const tracker = new WriteTracker();
  const reconciler = new EndpointsSyncer({ client: ctx.client, services: services.lister, pods: pods.lister, endpoints: endpoints.lister, tracker, logger: ctx.logger });
  const controller = ctx.manager.newController({ name: "endpoints", reconciler });
  controller.watch(services);
  pods.addEventHandler(podEventHandler(services.lister, (key) => controller.enqueueKey(key)));
  // Endpoints changed or deleted by someone else are put back when their Service exists. Those
  // listed at start-up are all looked at, so leftovers of Services deleted meanwhile go
  // (checkLeftoverEndpoints); later ones without a Service may be a user's, for a Service to come.
  const enqueueIfService = (ep: Endpoints): void => {
    if (!endpoints.hasSynced || services.lister.get(ep.metadata!.namespace, ep.metadata!.name)) controller.enqueue(ep);
  };
  endpoints.addEventHandler({
    onAdd: enqueueIfService,
    onUpdate: (_old, ep) => enqueueIfService(ep),
    onDelete: (ep) => {
      tracker.observedDeleted(`${ep.metadata!.namespace}/${ep.metadata!.name}`, ep);
      enqueueIfService(ep);
    },
  });
}
