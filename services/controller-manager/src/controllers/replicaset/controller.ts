// The ReplicaSet and ReplicationController controllers: one reconcile, two kinds (structured and map selectors).
import { appsV1ReplicaSet, coreV1ReplicationController, kindFor, labelSelectorFromObject, type ApiObject, type KindInfo, type LabelSelector } from "@kubeplane/api";
import type { coreV1Pod } from "@kubeplane/api";
import { Expectations, controllerRef, ownerKey } from "@kubeplane/controller";
import type { ResourceEventHandler } from "@kubeplane/client";
import type { ControllerContext } from "../context.js";
import { podKind } from "./pod-control.js";
import { ReplicaSyncer, type ReplicaKind } from "./sync.js";

type ReplicaSet = appsV1ReplicaSet.ReplicaSet;
type ReplicationController = coreV1ReplicationController.ReplicationController;
type Pod = coreV1Pod.Pod;

/**
 * Parses each object's selector once: informer objects are replaced, never mutated, on change,
 * so the object itself is the cache key. A parse error is cached too and rethrown.
 */
function cachedSelector<T extends object>(parse: (obj: T) => LabelSelector): (obj: T) => LabelSelector {
  const cache = new WeakMap<T, LabelSelector | Error>();
  return (obj) => {
    let sel = cache.get(obj);
    if (sel === undefined) {
      try {
        sel = parse(obj);
      } catch (err) {
        sel = err instanceof Error ? err : new Error(String(err));
      }
      cache.set(obj, sel);
    }
    if (sel instanceof Error) throw sel;
    return sel;
  };
}

export const replicaSetKind: ReplicaKind<ReplicaSet> = {
  info: kindFor("apps/v1", "ReplicaSet") as KindInfo<ReplicaSet>,
  selector: cachedSelector((rs) => labelSelectorFromObject(rs.spec?.selector as Parameters<typeof labelSelectorFromObject>[0])),
  replicas: (rs) => rs.spec?.replicas ?? 1,
  minReadySeconds: (rs) => rs.spec?.minReadySeconds ?? 0,
  template: (rs) => rs.spec?.template,
  status: (rs) => rs.status,
  withStatus: (rs, status) => appsV1ReplicaSet.ReplicaSet.fromPartial({ ...rs, status: { ...rs.status, ...status } }),
};

export const replicationControllerKind: ReplicaKind<ReplicationController> = {
  info: kindFor("v1", "ReplicationController") as KindInfo<ReplicationController>,
  // A map selector is matchLabels; the apiserver defaults an empty one to the template's labels.
  selector: cachedSelector((rc) => labelSelectorFromObject({ matchLabels: rc.spec?.selector ?? {} })),
  replicas: (rc) => rc.spec?.replicas ?? 1,
  minReadySeconds: (rc) => rc.spec?.minReadySeconds ?? 0,
  template: (rc) => rc.spec?.template,
  status: (rc) => rc.status,
  withStatus: (rc, status) => coreV1ReplicationController.ReplicationController.fromPartial({ ...rc, status: { ...rc.status, ...status } }),
};

/**
 * Keeps `expectations` in step with the pod cache (the pod handlers of Kubernetes' ReplicaSet
 * controller): a controlled pod appearing is an observed create; a pod disappearing or getting a
 * deletionTimestamp is an observed delete, for its controller before and after the change.
 */
function expectationsHandler(expectations: Expectations, toOwnerKey: (pod: ApiObject) => string[]): ResourceEventHandler<Pod> {
  const deleted = (pod: Pod): void => toOwnerKey(pod).forEach((k) => expectations.deletionObserved(k, pod.metadata!.uid));
  return {
    onAdd: (pod) => {
      // A pod first seen already terminating (a relist) only ever counts as a deletion.
      if (pod.metadata?.deletionTimestamp) deleted(pod);
      else toOwnerKey(pod).forEach((k) => expectations.creationObserved(k));
    },
    onUpdate: (old, cur) => {
      if (!cur.metadata?.deletionTimestamp) return;
      deleted(cur);
      deleted(old);
    },
    onDelete: deleted,
  };
}

/** Builds one replica controller on the manager: informers, expectations, handlers, reconciler. */
function newReplicaController<T extends ApiObject>(ctx: ControllerContext, name: string, component: string, kind: ReplicaKind<T>): void {
  const owners = ctx.informers.informerFor(kind.info);
  const pods = ctx.informers.informerFor(podKind);
  const expectations = new Expectations();
  const reconciler = new ReplicaSyncer({ kind, client: ctx.client, owners: owners.lister, pods: pods.lister, expectations, logger: ctx.logger, recorder: ctx.recorder(component), now: ctx.now });
  const controller = ctx.manager.newController({ name, reconciler });
  const controlledBy = ownerKey(kind.info.kind);
  // Before the controller's own handler, so a sync never runs on expectations a pod event should have met.
  pods.addEventHandler(expectationsHandler(expectations, controlledBy));
  controller.watch(owners);
  controller.watch(pods, (pod) => {
    if (controllerRef(pod)) return controlledBy(pod);
    // An orphan: every owner that would adopt it gets a look (getPodReplicaSets).
    const labels = pod.metadata?.labels ?? {};
    if (Object.keys(labels).length === 0) return [];
    const namespace = pod.metadata!.namespace;
    return owners.lister.listByNamespace(namespace).flatMap((owner) => {
      let selector: LabelSelector;
      try {
        selector = kind.selector(owner);
      } catch {
        return [];
      }
      return !selector.empty && selector.matches(labels) ? [`${namespace}/${owner.metadata!.name}`] : [];
    });
  });
}

/** Builds the ReplicaSet controller on the context's manager. */
export function newReplicaSetController(ctx: ControllerContext): void {
  newReplicaController(ctx, "replicaset", "replicaset-controller", replicaSetKind);
}

/** Builds the ReplicationController controller on the context's manager (the same syncer over the older kind). */
export function newReplicationControllerController(ctx: ControllerContext): void {
  newReplicaController(ctx, "replicationcontroller", "replication-controller", replicationControllerKind);
}
