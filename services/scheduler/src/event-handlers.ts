// Informer events into the scheduler's cache and queue (kube-scheduler's eventhandlers.go): assigned pods and nodes
// update the cache, pending pods of our profiles enter the queue, and changes that could help move unschedulable pods.
import type { Informer } from "@kubeplane/client";
import type { SchedulerCache } from "./framework/cache.js";
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass, StorageListers } from "./framework/interface.js";
import { podKey } from "./framework/pod-info.js";
import type { SchedulingQueue } from "./framework/queue.js";

/**
 * What the handlers update: a scheduler's cache and queue, and whether it schedules a pod. The handlers
 * only touch these two, synchronously, on the informer's event loop turn.
 */
export interface EventHandlerTarget {
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
  /** Whether a pod's schedulerName names one of the target's profiles. */
  responsibleFor(pod: Pod): boolean;
}

/** Registers the node and pod handlers on the informers. */
export function addAllEventHandlers(target: EventHandlerTarget, nodes: Informer<Node>, pods: Informer<Pod>): void {
  nodes.addEventHandler({
    onAdd: (n) => nodeAdded(target, n),
    onUpdate: (o, n) => nodeUpdated(target, o, n),
    onDelete: (n) => target.cache.removeNode(n),
  });
  pods.addEventHandler({
    onAdd: (p) => podAdded(target, p),
    onUpdate: (o, p) => podUpdated(target, o, p),
    onDelete: (p) => podDeleted(target, p),
  });
}

/**
 * Retries unschedulable pods when a claim, volume or class appears or changes (a claim got bound, a
 * volume was provisioned). Returns the listers volume plugins read the informers' caches through.
 */
export function addStorageEventHandlers(
  queue: SchedulingQueue,
  claims: Informer<PersistentVolumeClaim>,
  volumes: Informer<PersistentVolume>,
  classes: Informer<StorageClass>,
): StorageListers {
  claims.addEventHandler({ onAdd: () => queue.moveAllToActiveOrBackoff("PvcAdd"), onUpdate: () => queue.moveAllToActiveOrBackoff("PvcUpdate") });
  volumes.addEventHandler({ onAdd: () => queue.moveAllToActiveOrBackoff("PvAdd"), onUpdate: () => queue.moveAllToActiveOrBackoff("PvUpdate") });
  classes.addEventHandler({ onAdd: () => queue.moveAllToActiveOrBackoff("StorageClassAdd") });
  return {
    claim: (namespace, name) => claims.lister.get(namespace, name),
    volume: (name) => volumes.lister.get("", name),
    storageClass: (name) => classes.lister.get("", name),
  };
}

/** Whether a node update can make a pod fit: allocatable, labels, taints or unschedulable changed. */
function relevantNodeChange(a: Node, b: Node): boolean {
  return (
    JSON.stringify(a.status?.allocatable) !== JSON.stringify(b.status?.allocatable) ||
    JSON.stringify(a.metadata?.labels) !== JSON.stringify(b.metadata?.labels) ||
    JSON.stringify(a.spec?.taints) !== JSON.stringify(b.spec?.taints) ||
    a.spec?.unschedulable !== b.spec?.unschedulable
  );
}

export function nodeAdded({ cache, queue }: EventHandlerTarget, node: Node): void {
  cache.addNode(node);
  queue.moveAllToActiveOrBackoff("NodeAdd");
}

export function nodeUpdated({ cache, queue }: EventHandlerTarget, old: Node, node: Node): void {
  cache.updateNode(node);
  if (relevantNodeChange(old, node)) queue.moveAllToActiveOrBackoff("NodeUpdate");
}

export function podAdded(target: EventHandlerTarget, pod: Pod): void {
  const { cache, queue } = target;
  if (pod.spec?.nodeName) {
    cache.addPod(pod);
    queue.delete(pod);
    queue.nominator.delete(pod);
    queue.moveAllToActiveOrBackoff("AssignedPodAdd");
  } else if (!pod.metadata?.deletionTimestamp && target.responsibleFor(pod)) {
    queue.add(pod);
    queue.nominator.add(pod);
  }
}

export function podUpdated(target: EventHandlerTarget, old: Pod, pod: Pod): void {
  const { cache, queue } = target;
  if (pod.spec?.nodeName) {
    cache.updatePod(pod);
    queue.nominator.delete(pod);
    if (!old.spec?.nodeName) {
      queue.delete(pod);
      queue.moveAllToActiveOrBackoff("AssignedPodAdd");
    } else if (JSON.stringify(old.metadata?.labels) !== JSON.stringify(pod.metadata?.labels)) {
      queue.moveAllToActiveOrBackoff("AssignedPodUpdate");
    }
    const phase = pod.status?.phase;
    if (old.status?.phase !== phase && (phase === "Succeeded" || phase === "Failed")) queue.moveAllToActiveOrBackoff("AssignedPodDelete");
  } else if (pod.metadata?.deletionTimestamp || !target.responsibleFor(pod)) {
    queue.delete(pod);
    queue.nominator.delete(pod);
  } else {
    queue.update(pod);
    queue.nominator.update(old, pod);
  }
}

export function podDeleted({ cache, queue }: EventHandlerTarget, pod: Pod): void {
  if (pod.spec?.nodeName || cache.isAssumed(podKey(pod))) {
    cache.removePod(pod);
    queue.moveAllToActiveOrBackoff("AssignedPodDelete");
  } else if (queue.nominator.nominatedNodeOf(pod)) {
    // A preemptor that gave up its nomination frees the room it held for lower-priority pods.
    queue.moveAllToActiveOrBackoff("AssignedPodDelete");
  }
  queue.delete(pod);
  queue.nominator.delete(pod);
}
