// The Deployment reconcile (syncDeployment): claim ReplicaSets, roll out or scale, clean up history, write status.
import { appsV1Deployment, appsV1ReplicaSet, isAlreadyExists, isConflict, isNotFound, metaV1, type coreV1Pod, type KindInfo, type LabelSelector } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import { controllerRef, newControllerRef, type Logger, type Reconciler, type Request, type Result } from "@kubeplane/controller";
import type { EventRecorder } from "../event-recorders.js";
import { computeHash, equalIgnoringHash, selectorWithHash, templateWithHash } from "./pod-template-hash.js";
import { applyPausedCondition, applyProgressingCondition, hasProgressDeadline, msUntilProgressDeadline, Reason } from "./progress.js";
import { activeReplicaSets, deploymentSelector, desiredReplicas, findNewReplicaSet, findOldReplicaSets, specReplicas, sumActual } from "./replica-sets.js";
import { maxRevision, replicaSetsToCleanUp, replicasAnnotationsNeedUpdate, REVISION, setNewReplicaSetAnnotations, setReplicasAnnotations } from "./revisions.js";
import { isScalingEvent, maxSurgeOf, newReplicaSetReplicas, oldReplicaSetsScaleDown, scaleTargets } from "./rolling.js";
import { calculateStatus, deploymentComplete, newCondition, setCondition, statusChanged } from "./status.js";

type Deployment = appsV1Deployment.Deployment;
type DeploymentStatus = appsV1Deployment.DeploymentStatus;
type ReplicaSet = appsV1ReplicaSet.ReplicaSet;
type Pod = coreV1Pod.Pod;

export interface DeploymentSyncerOptions {
  client: ApiClient;
  deploymentKind: KindInfo<Deployment>;
  replicaSetKind: KindInfo<ReplicaSet>;
  deployments: Lister<Deployment>;
  replicaSets: Lister<ReplicaSet>;
  pods: Lister<Pod>;
  logger: Logger;
  /** Records ScalingReplicaSet and ReplicaSetCreateError on the Deployment, as Kubernetes' deployment-controller. */
  recorder: EventRecorder;
  now: () => Date;
}

/** One sync's view of a Deployment: a private copy, and the status being built for it. */
interface SyncState {
  d: Deployment;
  /** The status as last written: progress is measured against it. */
  previous: DeploymentStatus | undefined;
  /** The status this sync will write; steps add conditions and collisionCount to it. */
  status: DeploymentStatus;
  /** The revision the Deployment's annotation should carry, once the new RS is known. */
  revision?: string;
}

/**
 * Reconciles one Deployment by key. Reads the Deployment, its ReplicaSets and (for Recreate) their
 * pods from the informer caches and writes through the API client: ReplicaSet writes carry the
 * cached resourceVersion, so a decision taken on a stale cache fails with a Conflict and is retried
 * instead of applied. Throws (retry with back-off) when a write fails; returns a requeue to notice
 * a progress deadline passing.
 */
export class DeploymentSyncer implements Reconciler {
  constructor(private readonly options: DeploymentSyncerOptions) {}

  async reconcile(request: Request, signal: AbortSignal): Promise<Result | void> {
    try {
      return await this.syncDeployment(request, signal);
    } catch (err) {
      // A ReplicaSet changed since the cache saw it: the event of that change syncs again, on fresh state.
      if (!isConflict(err)) throw err;
      this.options.logger.debug({ err, kind: "Deployment", ...request }, "stale cache; waiting for the newer ReplicaSet");
    }
  }

  private async syncDeployment({ namespace, name }: Request, signal: AbortSignal): Promise<Result | void> {
    const { deployments, logger } = this.options;
    const cached = deployments.get(namespace, name);
    if (!cached) return;
    const d = appsV1Deployment.Deployment.fromPartial({ ...cached, apiVersion: "apps/v1", kind: "Deployment" });
    const state: SyncState = { d, previous: cached.status, status: appsV1Deployment.DeploymentStatus.fromPartial(cached.status ?? {}) };

    let selector: LabelSelector;
    try {
      selector = deploymentSelector(d);
    } catch (err) {
      logger.error({ err, kind: "Deployment", namespace, name }, "invalid selector; not syncing");
      return;
    }
    if (selector.empty) {
      // An empty selector would select every pod: Kubernetes refuses to act and only records that it saw the spec.
      state.status.observedGeneration = d.metadata?.generation ?? 0;
      await this.writeStatus(state, signal);
      return;
    }

    const rsList = await this.claimReplicaSets(d, selector, signal);
    if (d.metadata?.deletionTimestamp) {
      await this.syncStatusOnly(state, rsList, signal);
      return;
    }
    applyPausedCondition(d, state.status, this.options.now());

    if (d.spec?.paused || isScalingEvent(d, rsList)) await this.sync(state, rsList, signal);
    else if (d.spec?.strategy?.type === "Recreate") await this.rolloutRecreate(state, rsList, signal);
    else await this.rolloutRolling(state, rsList, signal);

    await this.writeStatus(state, signal);
    await this.writeRevision(state, signal);
    const wait = msUntilProgressDeadline(d, state.status, this.options.now());
    return wait === undefined ? undefined : { requeueAfterMs: wait };
  }

  /** Scaling and paused Deployments: resize ReplicaSets, no rollout (sync). */
  private async sync(state: SyncState, rsList: ReplicaSet[], signal: AbortSignal): Promise<void> {
    const { newRS, oldRSs } = await this.newAndOld(state, rsList, false, signal);
    for (const { rs, replicas } of scaleTargets(state.d, newRS, oldRSs)) await this.scaleReplicaSet(state.d, rs, replicas, signal);
    if (state.d.spec?.paused) await this.cleanup(state.d, oldRSs, signal);
    this.calculate(state, newRS ? [...oldRSs, newRS] : oldRSs, newRS, false);
  }

  private async syncStatusOnly(state: SyncState, rsList: ReplicaSet[], signal: AbortSignal): Promise<void> {
    const { newRS, oldRSs } = await this.newAndOld(state, rsList, false, signal);
    this.calculate(state, newRS ? [...oldRSs, newRS] : oldRSs, newRS, false);
    await this.writeStatus(state, signal);
  }

  /** RollingUpdate: grow the new RS within maxSurge, else shrink old ones within maxUnavailable (rolloutRolling). */
  private async rolloutRolling(state: SyncState, rsList: ReplicaSet[], signal: AbortSignal): Promise<void> {
    const { d } = state;
    const { newRS, oldRSs } = await this.newAndOld(state, rsList, true, signal);
    if (!newRS) return; // a hash collision: collisionCount was raised, the next sync uses a new name
    const all = [...oldRSs, newRS];
    let moved = false;
    const replicas = desiredReplicas(d);
    if (specReplicas(newRS) !== replicas) {
      const target = specReplicas(newRS) > replicas ? replicas : newReplicaSetReplicas(d, all, newRS);
      moved = await this.scaleReplicaSet(d, newRS, target, signal);
    }
    if (!moved) {
      for (const { rs, replicas: size } of oldReplicaSetsScaleDown(d, oldRSs, newRS)) {
        if (await this.scaleReplicaSet(d, rs, size, signal)) moved = true;
      }
    }
    this.calculate(state, all, newRS, true);
    if (!moved && deploymentComplete(d, state.status)) await this.cleanup(d, oldRSs, signal);
  }

  /**
   * Recreate: old ReplicaSets to zero, then wait until none of their pods exists — terminating
   * ones included — before the new RS is created and scaled up (rolloutRecreate).
   */
  private async rolloutRecreate(state: SyncState, rsList: ReplicaSet[], signal: AbortSignal): Promise<void> {
    const { d } = state;
    let { newRS, oldRSs } = await this.newAndOld(state, rsList, false, signal);
    let scaledDown = false;
    for (const rs of activeReplicaSets(oldRSs)) {
      if (await this.scaleReplicaSet(d, rs, 0, signal)) scaledDown = true;
    }
    if (scaledDown || this.oldPodsRunning(newRS, oldRSs)) {
      this.calculate(state, newRS ? [...oldRSs, newRS] : oldRSs, newRS, true);
      return;
    }
    if (!newRS) {
      ({ newRS, oldRSs } = await this.newAndOld(state, rsList, true, signal));
      if (!newRS) return;
    }
    await this.scaleReplicaSet(d, newRS, desiredReplicas(d), signal);
    this.calculate(state, [...oldRSs, newRS], newRS, true);
    if (deploymentComplete(d, state.status)) await this.cleanup(d, oldRSs, signal);
  }

  /** Old ReplicaSets still have pods, by their status or by the pod cache (oldPodsRunning). */
  private oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): boolean {
    if (sumActual(oldRSs) > 0) return true;
    return oldRSs.some((rs) => {
      if (rs === newRS) return false;
      return this.options.pods
        .byIndex("owner", rs.metadata!.uid)
        .some((p) => controllerRef(p)?.uid === rs.metadata!.uid && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
    });
  }

  private calculate(state: SyncState, all: readonly ReplicaSet[], newRS: ReplicaSet | undefined, rollout: boolean): void {
    const now = this.options.now();
    const next = calculateStatus(state.d, state.status, all, newRS, now);
    if (rollout) applyProgressingCondition(state.d, state.previous, next, newRS?.metadata?.name, now);
    state.status = next;
  }

  /**
   * The new ReplicaSet (created when `create` and missing) and the old ones (getAllReplicaSetsAndSyncRevision).
   * An existing new RS gets the next revision when it is behind (a rollback) and the Deployment's
   * minReadySeconds; a created one is named `<deployment>-<hash>`.
   */
  private async newAndOld(state: SyncState, rsList: ReplicaSet[], create: boolean, signal: AbortSignal): Promise<{ newRS?: ReplicaSet; oldRSs: ReplicaSet[] }> {
    const { d, status } = state;
    const { client, replicaSetKind, replicaSets } = this.options;
    const oldRSs = findOldReplicaSets(d, rsList);
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    const now = this.options.now();
    if (existing) {
      const annotationsChanged = setNewReplicaSetAnnotations(d, existing, newRevision, true, maxSurgeOf(d));
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (annotationsChanged || (existing.spec?.minReadySeconds ?? 0) !== minReady) {
        existing.spec!.minReadySeconds = minReady;
        Object.assign(existing, await client.update(replicaSetKind, existing, { signal }));
      }
      state.revision = existing.metadata?.annotations[REVISION];
      if (hasProgressDeadline(d) && !status.conditions.some((c) => c.type === "Progressing")) {
        setCondition(status, newCondition("Progressing", "True", Reason.foundNewReplicaSet, `Found new replica set "${existing.metadata!.name}"`, now));
      }
      return { newRS: existing, oldRSs };
    }
    if (!create) return { oldRSs };

    const hash = computeHash(d.spec?.template, status.collisionCount);
    const template = templateWithHash(d.spec?.template, hash);
    const rs = appsV1ReplicaSet.ReplicaSet.fromPartial({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: `${d.metadata!.name}-${hash}`, namespace: d.metadata!.namespace, labels: { ...template.metadata?.labels }, ownerReferences: [newControllerRef(d)] },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector: selectorWithHash(d.spec?.selector, hash), template },
    });
    rs.spec!.replicas = newReplicaSetReplicas(d, [...oldRSs, rs], rs);
    setNewReplicaSetAnnotations(d, rs, newRevision, false, maxSurgeOf(d));
    let created: ReplicaSet;
    let alreadyExisted = false;
    try {
      created = (await client.create(replicaSetKind, rs, { signal })) as ReplicaSet;
    } catch (err) {
      if (isAlreadyExists(err)) {
        const found = replicaSets.get(d.metadata!.namespace, rs.metadata!.name);
        if (found && controllerRef(found)?.uid === d.metadata!.uid && equalIgnoringHash(found.spec?.template, d.spec?.template)) {
          // Ours, made by an earlier sync whose result the cache has not shown yet.
          created = appsV1ReplicaSet.ReplicaSet.fromPartial(found);
          alreadyExisted = true;
        } else {
          // Someone else's RS has the name: a different hash input next time (collisionCount).
          status.collisionCount = (status.collisionCount ?? 0) + 1;
          this.options.logger.warn({ kind: "Deployment", namespace: d.metadata!.namespace, name: d.metadata!.name, collisionCount: status.collisionCount }, "pod-template-hash collision");
          return { oldRSs };
        }
      } else {
        const message = `Failed to create new replica set "${rs.metadata!.name}": ${err instanceof Error ? err.message : String(err)}`;
        if (hasProgressDeadline(d)) {
          setCondition(status, newCondition("Progressing", "False", Reason.failedCreate, message, now));
          await this.writeStatus(state, signal);
        }
        this.options.recorder.record(this.options.deploymentKind, d, "Warning", Reason.failedCreate, message);
        throw err;
      }
    }
    state.revision = created.metadata?.annotations[REVISION];
    const replicas = specReplicas(created);
    if (!alreadyExisted && replicas > 0) {
      this.options.recorder.record(this.options.deploymentKind, d, "Normal", "ScalingReplicaSet", `Scaled up replica set ${created.metadata!.name} to ${replicas} from 0`);
    }
    if (!alreadyExisted && hasProgressDeadline(d)) {
      setCondition(status, newCondition("Progressing", "True", Reason.newReplicaSetCreated, `Created new replica set "${created.metadata!.name}"`, now));
    }
    return { newRS: created, oldRSs };
  }

  /**
   * Sets an RS's size and its desired/max-replicas annotations (scaleReplicaSet); updates `rs` in
   * place with what the apiserver stored. True when the size changed.
   */
  private async scaleReplicaSet(d: Deployment, rs: ReplicaSet, replicas: number, signal: AbortSignal): Promise<boolean> {
    const desired = desiredReplicas(d);
    const max = desired + maxSurgeOf(d);
    const before = specReplicas(rs);
    const sizeChanged = before !== replicas;
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
    const copy = appsV1ReplicaSet.ReplicaSet.fromPartial(rs);
    copy.spec!.replicas = replicas;
    setReplicasAnnotations(copy, desired, max);
    Object.assign(rs, await this.options.client.update(this.options.replicaSetKind, copy, { signal }));
    if (sizeChanged) {
      const direction = before < replicas ? "up" : "down";
      this.options.recorder.record(this.options.deploymentKind, d, "Normal", "ScalingReplicaSet", `Scaled ${direction} replica set ${rs.metadata!.name} to ${replicas} from ${before}`);
    }
    this.options.logger.debug({ kind: "Deployment", namespace: d.metadata!.namespace, name: d.metadata!.name, replicaSet: rs.metadata!.name, replicas }, "scaled replica set");
    return sizeChanged;
  }

  /** Deletes old ReplicaSets beyond revisionHistoryLimit (cleanupDeployment). */
  private async cleanup(d: Deployment, oldRSs: readonly ReplicaSet[], signal: AbortSignal): Promise<void> {
    const { client, replicaSetKind } = this.options;
    for (const rs of replicaSetsToCleanUp(oldRSs, d.spec?.revisionHistoryLimit)) {
      try {
        await client.delete(replicaSetKind, rs.metadata!.namespace, rs.metadata!.name, { preconditions: { uid: rs.metadata!.uid }, signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /**
   * The ReplicaSets this Deployment controls, as private copies, after adopting matching orphans
   * and releasing controlled ones that stopped matching (ClaimReplicaSets).
   */
  private async claimReplicaSets(d: Deployment, selector: LabelSelector, signal: AbortSignal): Promise<ReplicaSet[]> {
    const { replicaSets } = this.options;
    const uid = d.metadata!.uid;
    const claimed: ReplicaSet[] = [];
    let rechecked = false;
    for (const cached of this.candidateReplicaSets(d)) {
      const ref = controllerRef(cached);
      const matches = selector.matches(cached.metadata?.labels);
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches) claimed.push(appsV1ReplicaSet.ReplicaSet.fromPartial(cached));
        else if (!d.metadata?.deletionTimestamp) await this.setOwner(cached, undefined, signal);
        continue;
      }
      if (!matches || d.metadata?.deletionTimestamp || cached.metadata?.deletionTimestamp) continue;
      if (!rechecked) {
        // Adopt only for the Deployment that really exists now, not one being deleted or replaced.
        const fresh = await this.options.client.get(this.options.deploymentKind, d.metadata!.namespace, d.metadata!.name, { signal });
        if (fresh.metadata?.uid !== uid || fresh.metadata?.deletionTimestamp) return claimed;
        rechecked = true;
      }
      const adopted = await this.setOwner(cached, d, signal);
      if (adopted) claimed.push(adopted);
    }
    return claimed;
  }

  /**
   * The ReplicaSets worth looking at: those it controls (owner index) and those carrying its
   * selector's first matchLabels pair (label index), instead of every RS in the namespace, so a
   * namespace of thousands of Deployments does not cost a scan per reconcile.
   */
  private candidateReplicaSets(d: Deployment): ReplicaSet[] {
    const { replicaSets } = this.options;
    const namespace = d.metadata!.namespace;
    const [first] = Object.entries(d.spec?.selector?.matchLabels ?? {});
    if (!first) return replicaSets.listByNamespace(namespace);
    const byKey = new Map<string, ReplicaSet>();
    for (const rs of replicaSets.byIndex("owner", d.metadata!.uid)) byKey.set(rs.metadata!.name, rs);
    for (const rs of replicaSets.byIndex("label", `${first[0]}=${first[1]}`)) {
      if (rs.metadata?.namespace === namespace) byKey.set(rs.metadata.name, rs);
    }
    return [...byKey.values()];
  }

  /** Adopts (`owner` set) or releases an RS with a merge patch pinned to its resourceVersion. */
  private async setOwner(rs: ReplicaSet, owner: Deployment | undefined, signal: AbortSignal): Promise<ReplicaSet | undefined> {
    const uid = owner?.metadata!.uid;
    const kept = (rs.metadata?.ownerReferences ?? []).filter((r) => (owner ? r.uid !== uid : r.controller !== true));
    const refs = owner ? [...kept, newControllerRef(owner)] : kept;
    const patch = { metadata: { resourceVersion: rs.metadata!.resourceVersion, ownerReferences: refs.map((r) => metaV1.OwnerReference.toJSON(r)) } };
    try {
      return appsV1ReplicaSet.ReplicaSet.fromPartial((await this.options.client.patch(this.options.replicaSetKind, rs.metadata!.namespace, rs.metadata!.name, patch, { signal })) as ReplicaSet);
    } catch (err) {
      // Gone, or changed since the cache saw it: its next event brings this Deployment back here.
      if (isNotFound(err) || isConflict(err)) return undefined;
      throw err;
    }
  }

  /**
   * Writes the status when it changed. A Conflict means a newer Deployment is on its way through
   * the informer, and its event syncs again.
   */
  private async writeStatus(state: SyncState, signal: AbortSignal): Promise<void> {
    if (!statusChanged(state.previous, state.status)) return;
    try {
      const written = (await this.options.client.updateStatus(this.options.deploymentKind, { ...state.d, status: state.status } as Deployment, { signal })) as Deployment;
      state.previous = written.status;
      state.d.metadata = written.metadata;
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }

  /** Mirrors the new RS's revision on the Deployment (SetDeploymentRevision), for `rollout history` and describe. */
  private async writeRevision(state: SyncState, signal: AbortSignal): Promise<void> {
    const { d, revision } = state;
    if (revision === undefined || d.metadata?.annotations[REVISION] === revision) return;
    try {
      await this.options.client.patch(this.options.deploymentKind, d.metadata!.namespace, d.metadata!.name, { metadata: { annotations: { [REVISION]: revision } } }, { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
