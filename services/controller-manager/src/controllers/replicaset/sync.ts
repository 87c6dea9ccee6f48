// The reconcile ReplicaSet and ReplicationController share (syncReplicaSet): claim pods, create or delete to `replicas`, report status.
import { setMaxListeners } from "node:events";
import { isConflict, isNotFound, type ApiObject, type coreV1Pod, type KindInfo, type LabelSelector } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import { controllerRef, type Expectations, type Logger, type Reconciler, type Request, type Result } from "@kubeplane/controller";
import { messageOf, type EventRecorder } from "../event-recorders.js";
import { isNamespaceTerminating } from "../util/namespace-terminating.js";
import { isPodActive } from "../util/pod-util.js";
import { rankPodsForDeletion } from "./active-pods.js";
import { PodControlError, adoptPod, podFromTemplate, podKind, releasePod, slowStartBatch } from "./pod-control.js";
import { calculateStatus, nextAvailableInMs, statusChanged, type ReplicaStatus } from "./status.js";

type Pod = coreV1Pod.Pod;

/** Most pods one sync creates or deletes (burstReplicas): the rest wait for the next sync. */
export const burstReplicas = 500;

/**
 * How a replica controller reads and writes its kind: the only part that differs between
 * ReplicaSet (structured selector) and ReplicationController (map selector).
 */
export interface ReplicaKind<T extends ApiObject> {
  info: KindInfo<T>;
  /** The pods the object selects; throws a SelectorParseError for an invalid selector. */
  selector(obj: T): LabelSelector;
  replicas(obj: T): number;
  minReadySeconds(obj: T): number;
  template(obj: T): coreV1Pod.PodTemplateSpec | undefined;
  status(obj: T): Partial<ReplicaStatus> | undefined;
  /** A copy of `obj` carrying `status`, for updateStatus. */
  withStatus(obj: T, status: ReplicaStatus): T;
}

export interface ReplicaSyncerOptions<T extends ApiObject> {
  kind: ReplicaKind<T>;
  client: ApiClient;
  owners: Lister<T>;
  pods: Lister<Pod>;
  expectations: Expectations;
  logger: Logger;
  /** Records SuccessfulCreate, FailedCreate, SuccessfulDelete and FailedDelete on the owner (RealPodControl's events). */
  recorder: EventRecorder;
  now: () => Date;
}

/**
 * Reconciles one ReplicaSet or ReplicationController by key. Reads the owner and pods from the
 * informer caches; creates and deletes only when `expectations` says the cache has caught up with
 * its own earlier writes. Throws (to retry with back-off) when a pod write or the status write
 * failed; the status is written first, so ReplicaFailure shows the failure.
 */
export class ReplicaSyncer<T extends ApiObject> implements Reconciler {
  constructor(private readonly options: ReplicaSyncerOptions<T>) {}

  async reconcile({ namespace, name }: Request, signal: AbortSignal): Promise<Result | void> {
    // One sync makes up to burstReplicas (or one per orphan) concurrent calls, each listening on
    // the signal until it ends: give them a signal of their own without the listener warning.
    const sync = new AbortController();
    setMaxListeners(0, sync.signal);
    const stop = (): void => sync.abort(signal.reason);
    if (signal.aborted) stop();
    signal.addEventListener("abort", stop, { once: true });
    try {
      return await this.sync(namespace, name, sync.signal);
    } finally {
      signal.removeEventListener("abort", stop);
    }
  }

  private async sync(namespace: string, name: string, signal: AbortSignal): Promise<Result | void> {
    const { kind, owners, expectations, logger } = this.options;
    const key = `${namespace}/${name}`;
    const owner = owners.get(namespace, name);
    if (!owner) {
      expectations.delete(key);
      return;
    }
    let selector: LabelSelector;
    try {
      selector = kind.selector(owner);
    } catch (err) {
      // Only a spec change fixes this, and that change enqueues the object again.
      logger.error({ err, kind: kind.info.kind, namespace, name }, "invalid selector; not syncing");
      return;
    }
    const needsSync = expectations.satisfied(key);
    const pods = await this.claimPods(owner, selector, signal);

    let failure: PodControlError | undefined;
    if (needsSync && !owner.metadata?.deletionTimestamp) {
      try {
        await this.manageReplicas(key, owner, pods, signal);
      } catch (err) {
        if (!(err instanceof PodControlError)) throw err;
        failure = err;
      }
    }

    const now = this.options.now();
    const minReadySeconds = kind.minReadySeconds(owner);
    const status = calculateStatus({
      previous: kind.status(owner),
      generation: owner.metadata?.generation ?? 0,
      templateLabels: kind.template(owner)?.metadata?.labels ?? {},
      minReadySeconds,
      pods,
      failure: failure && { reason: failure.code, message: failure.message },
      now,
    });
    await this.writeStatus(owner, status, signal);
    if (failure) throw failure;
    // Ready pods turn available only with time: nothing else would trigger that sync.
    const recheck = nextAvailableInMs(pods, minReadySeconds, now);
    return recheck === undefined ? undefined : { requeueAfterMs: recheck };
  }

  /**
   * The active pods `owner` controls after adopting matching orphans and releasing controlled
   * pods that stopped matching (ControllerRefManager.ClaimPods). Pods controlled by others are
   * left alone; finished or terminating pods are neither counted, adopted nor released.
   */
  private async claimPods(owner: T, selector: LabelSelector, signal: AbortSignal): Promise<Pod[]> {
    const { client } = this.options;
    const uid = owner.metadata!.uid;
    const deleting = Boolean(owner.metadata?.deletionTimestamp);
    const claimed: Pod[] = [];
    const writes: Promise<void>[] = [];
    let adoptable: Promise<void> | undefined;
    for (const pod of this.candidatePods(owner, selector)) {
      if (!isPodActive(pod)) continue;
      const ref = controllerRef(pod);
      const matches = selector.matches(pod.metadata?.labels);
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches) claimed.push(pod);
        else if (!deleting) writes.push(releasePod(client, uid, pod, signal));
        continue;
      }
      if (deleting || !matches || selector.empty) continue;
      adoptable ??= this.recheckOwner(owner, signal);
      writes.push(
        adoptable
          .then(() => adoptPod(client, owner, selector, pod, signal))
          .then((adopted) => {
            if (adopted) claimed.push(adopted);
          }),
      );
    }
    const results = await Promise.allSettled(writes);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw new Error(`claiming pods for ${owner.kind} ${owner.metadata!.namespace}/${owner.metadata!.name}`, { cause: failed.reason });
    return claimed;
  }

  /**
   * Pods that may be the owner's: those referencing it, and orphans in its namespace its selector
   * matches. The label index narrows orphans to one of the selector's `key=value` requirements,
   * so a sync does not walk every pod of a large namespace.
   */
  private candidatePods(owner: T, selector: LabelSelector): Pod[] {
    const { pods } = this.options;
    const namespace = owner.metadata!.namespace;
    const found = new Map<string, Pod>();
    for (const p of pods.byIndex("owner", owner.metadata!.uid)) {
      if (p.metadata?.namespace === namespace) found.set(p.metadata.name, p);
    }
    if (selector.empty || selector.selectsNothing) return [...found.values()];
    const equals = selector.requirements.find((r) => r.operator === "Equals");
    const pool = equals ? pods.byIndex("label", `${equals.key}=${equals.values[0]}`) : pods.listByNamespace(namespace);
    for (const p of pool) {
      if (p.metadata?.namespace !== namespace || controllerRef(p)) continue;
      if (selector.matches(p.metadata.labels)) found.set(p.metadata.name, p);
    }
    return [...found.values()];
  }

  /**
   * Before adopting, read the owner from the apiserver, not the cache: an owner that is being
   * deleted or was replaced by a namesake must not adopt (RecheckDeletionTimestamp).
   */
  private async recheckOwner(owner: T, signal: AbortSignal): Promise<void> {
    const { kind, client } = this.options;
    const fresh = await client.get(kind.info, owner.metadata!.namespace, owner.metadata!.name, { signal });
    if (fresh.metadata?.uid !== owner.metadata!.uid) {
      throw new Error(`${owner.kind} ${owner.metadata!.namespace}/${owner.metadata!.name} was replaced (uid ${fresh.metadata?.uid}, wanted ${owner.metadata!.uid}); not adopting`);
    }
    if (fresh.metadata?.deletionTimestamp) {
      throw new Error(`${owner.kind} ${owner.metadata!.namespace}/${owner.metadata!.name} is being deleted; not adopting`);
    }
  }

  /** Creates or deletes pods so `pods` becomes `replicas` long, at most burstReplicas at a time. */
  private async manageReplicas(key: string, owner: T, pods: readonly Pod[], signal: AbortSignal): Promise<void> {
    const { kind, client, expectations, logger, recorder } = this.options;
    const diff = pods.length - kind.replicas(owner);
    const log = { kind: kind.info.kind, namespace: owner.metadata!.namespace, name: owner.metadata!.name };
    if (diff < 0) {
      const count = Math.min(-diff, burstReplicas);
      // Recorded before the first create: the informer may see the pod before `create` returns.
      expectations.expectCreations(key, count);
      const template = podFromTemplate(owner, kind.template(owner));
      const { attempted, succeeded, errors } = await slowStartBatch(count, 1, async () => {
        let created: ApiObject;
        try {
          created = await client.create(podKind, template, { signal });
        } catch (err) {
          expectations.creationObserved(key);
          if (isNamespaceTerminating(err)) return;
          recorder.record(kind.info, owner, "Warning", "FailedCreate", `Error creating: ${messageOf(err)}`);
          throw err;
        }
        recorder.record(kind.info, owner, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata!.name}`);
      });
      // Creates never attempted will never be observed.
      for (let i = attempted; i < count; i++) expectations.creationObserved(key);
      logger.debug({ ...log, wanted: count, created: succeeded }, "created pods");
      if (errors.length > 0) {
        throw new PodControlError("FailedCreate", `creating pods: ${messageOf(errors[0])}`, { cause: errors[0] });
      }
    } else if (diff > 0) {
      const victims = rankPodsForDeletion(pods).slice(0, Math.min(diff, burstReplicas));
      expectations.expectDeletions(key, victims.map((p) => p.metadata!.uid));
      const results = await Promise.allSettled(
        victims.map(async (pod) => {
          try {
            await client.delete(podKind, pod.metadata!.namespace, pod.metadata!.name, { preconditions: { uid: pod.metadata!.uid }, signal });
          } catch (err) {
            // A pod already gone is what we wanted; any failure will not be observed as a deletion.
            expectations.deletionObserved(key, pod.metadata!.uid);
            if (isNotFound(err)) return;
            recorder.record(kind.info, owner, "Warning", "FailedDelete", `Error deleting: ${messageOf(err)}`);
            throw err;
          }
          recorder.record(kind.info, owner, "Normal", "SuccessfulDelete", `Deleted pod: ${pod.metadata!.name}`);
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      logger.debug({ ...log, deleted: victims.map((p) => p.metadata!.name) }, "deleted pods");
      if (failed) throw new PodControlError("FailedDelete", `deleting pods: ${messageOf(failed.reason)}`, { cause: failed.reason });
    }
  }

  /**
   * Writes `status` unless it is already there. A Conflict means the cache holds an older
   * version than the store: that newer version's event enqueues the key again, and that sync
   * writes the status, so there is nothing to retry here.
   */
  private async writeStatus(owner: T, status: ReplicaStatus, signal: AbortSignal): Promise<void> {
    const { kind, client } = this.options;
    if (!statusChanged(kind.status(owner), status)) return;
    try {
      await client.updateStatus(kind.info, kind.withStatus(owner, status), { signal });
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return;
      throw err;
    }
  }
}
