// The StatefulSet controller: stable `<set>-<ordinal>` pods created in order, per-ordinal claims, ordered rolling updates.
import type { appsV1ControllerRevision, coreV1Pod, coreV1Volume } from "@kubeplane/api";
import { appsV1StatefulSet, isAlreadyExists, isConflict, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import { isControlledBy, ownerKey, type Reconciler, type Request, type Result } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";
import { messageOf, type EventRecorder } from "../event-recorders.js";
import { CONTROLLER_REVISION_HASH, controllerRevisions, ensureRevision, truncateHistory } from "../util/controller-history.js";
import { isRunningAndReady } from "../util/pod-util.js";
import { claimFor, claimName } from "./claims.js";
import { ordinalOf, statefulPod } from "./identity.js";
import { setState, type SetState } from "./set-state.js";
import { statefulSetStatus } from "./status.js";

type StatefulSet = appsV1StatefulSet.StatefulSet;
type StatefulSetStatus = appsV1StatefulSet.StatefulSetStatus;
type ControllerRevision = appsV1ControllerRevision.ControllerRevision;
type Pod = coreV1Pod.Pod;
type Claim = coreV1Volume.PersistentVolumeClaim;

const statefulSets = kindFor("apps/v1", "StatefulSet") as KindInfo<StatefulSet>;
const pods = kindFor("v1", "Pod") as KindInfo<Pod>;
const claims = kindFor("v1", "PersistentVolumeClaim") as KindInfo<Claim>;

interface Listers {
  statefulSets: Lister<StatefulSet>;
  pods: Lister<Pod>;
  revisions: Lister<ControllerRevision>;
  claims: Lister<Claim>;
}

/**
 * Reconciles one StatefulSet. OrderedReady: ordinal i is created only when 0..i-1 are Running and
 * Ready, surplus pods go highest first, one at a time. Parallel: all at once. Claims are created
 * before their pod and kept (retention Retain) when pods go. RollingUpdate replaces pods from the
 * highest ordinal down to `partition`, one at a time, each after the one above is Ready again.
 */
export class StatefulSetReconciler implements Reconciler {
  constructor(
    private readonly client: ApiClient,
    private readonly listers: Listers,
    private readonly now: () => Date,
    /** Pod and claim create/delete events on the StatefulSet (statefulset-controller's recordPodEvent, recordClaimEvent). */
    private readonly recorder: EventRecorder,
  ) {}

  async reconcile({ namespace, name }: Request): Promise<Result | void> {
    const cached = this.listers.statefulSets.get(namespace, name);
    if (!cached || cached.metadata?.deletionTimestamp) return;
    const set: StatefulSet = { ...cached, apiVersion: "apps/v1", kind: "StatefulSet" };
    const uid = set.metadata!.uid;
    const owned = this.listers.revisions.byIndex("owner", uid).filter((r) => isControlledBy(r, uid));
    const ensured = await ensureRevision(this.client, set, set.spec?.template, owned, set.status?.collisionCount ?? 0);
    if ("collision" in ensured) {
      const status = appsV1StatefulSet.StatefulSetStatus.fromPartial({ ...set.status, collisionCount: (set.status?.collisionCount ?? 0) + 1 });
      await this.writeStatus(set, status);
      return { requeueAfterMs: 0 };
    }
    const update = ensured.revision;
    const current = owned.find((r) => r.metadata!.name === set.status?.currentRevision) ?? update;
    const setPods = this.listers.pods.byIndex("owner", uid).filter((p) => isControlledBy(p, uid));
    const state = setState(set, current, update, setPods);

    await this.manage(state);
    await this.deleteScaledClaims(state);

    const live = new Set([current.metadata!.name, update.metadata!.name, ...setPods.map((p) => p.metadata?.labels[CONTROLLER_REVISION_HASH] ?? "")]);
    await truncateHistory(this.client, owned, live, set.spec?.revisionHistoryLimit ?? 10);
    const { status, requeueAfterMs } = statefulSetStatus(state, setPods, this.now());
    await this.writeStatus(set, status);
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  }

  /** One pass of creations, deletions and updates; returns early where OrderedReady must wait. */
  private async manage(s: SetState): Promise<void> {
    const monotonic = s.set.spec?.podManagementPolicy !== "Parallel";
    const strategy = s.set.spec?.updateStrategy;
    const partition = strategy?.type === "RollingUpdate" ? (strategy.rollingUpdate?.partition ?? 0) : 0;
    for (let ordinal = s.start; ordinal < s.start + s.replicas; ordinal++) {
      const pod = s.byOrdinal.get(ordinal);
      if (pod && pod.status?.phase === "Failed" && !pod.metadata?.deletionTimestamp) {
        // A failed stateful pod is recreated under the same name once it is gone.
        await this.deletePod(s.set, pod);
        if (monotonic) return;
        continue;
      }
      if (!pod) {
        // Ordinals below the partition keep the current revision, as Kubernetes does.
        const revision = strategy?.type === "RollingUpdate" && ordinal < s.start + partition ? s.current : s.update;
        await this.ensureClaims(s.set, ordinal);
        await this.createPod(s.set, statefulPod(s.set, revision, ordinal, revision === s.update ? s.set.spec?.template : undefined));
        if (monotonic) return;
        continue;
      }
      if (!pod.metadata?.deletionTimestamp) await this.ensureClaims(s.set, ordinal);
      if (monotonic && (pod.metadata?.deletionTimestamp || !isRunningAndReady(pod))) return;
    }
    for (const pod of s.condemned) {
      if (pod.metadata?.deletionTimestamp) {
        if (monotonic) return;
        continue;
      }
      await this.deletePod(s.set, pod);
      if (monotonic) return;
    }
    if (strategy?.type !== "RollingUpdate") return;
    // From the highest ordinal down to the partition: one pod replaced at a time (maxUnavailable 1).
    for (let ordinal = s.start + s.replicas - 1; ordinal >= s.start + partition; ordinal--) {
      const pod = s.byOrdinal.get(ordinal);
      if (!pod) return;
      if (pod.metadata?.labels[CONTROLLER_REVISION_HASH] !== s.update.metadata!.name && !pod.metadata?.deletionTimestamp) {
        await this.deletePod(s.set, pod);
        return;
      }
      if (pod.metadata?.deletionTimestamp || !isRunningAndReady(pod)) return;
    }
  }

  /** Creates the ordinal's missing claims (before its pod, so the pod never starts without storage). */
  private async ensureClaims(set: StatefulSet, ordinal: number): Promise<void> {
    const namespace = set.metadata!.namespace ?? "";
    const pod = `${set.metadata!.name}-${ordinal}`;
    for (const template of set.spec?.volumeClaimTemplates ?? []) {
      const name = claimName(template.metadata?.name ?? "", set.metadata!.name, ordinal);
      if (this.listers.claims.get(namespace, name)) continue;
      try {
        await this.client.create(claims, claimFor(set, template, ordinal));
      } catch (err) {
        if (isAlreadyExists(err)) continue;
        this.recorder.record(statefulSets, set, "Warning", "FailedCreate", `create Claim ${name} for Pod ${pod} in StatefulSet ${set.metadata!.name} failed error: ${messageOf(err)}`);
        throw err;
      }
      this.recorder.record(statefulSets, set, "Normal", "SuccessfulCreate", `create Claim ${name} Pod ${pod} in StatefulSet ${set.metadata!.name} success`);
    }
  }

  /** With whenScaled=Delete, removes the claims of ordinals scaled away once their pod is gone. */
  private async deleteScaledClaims(s: SetState): Promise<void> {
    if (s.set.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled !== "Delete") return;
    const namespace = s.set.metadata!.namespace ?? "";
    const setName = s.set.metadata!.name;
    const condemnedPods = new Set(s.condemned.map((p) => p.metadata!.name));
    for (const template of s.set.spec.volumeClaimTemplates) {
      const prefix = `${template.metadata?.name ?? ""}-`;
      for (const claim of this.listers.claims.listByNamespace(namespace)) {
        const claimNameValue = claim.metadata!.name;
        if (!claimNameValue.startsWith(prefix) || claim.metadata?.deletionTimestamp) continue;
        const ordinal = ordinalOf(setName, claimNameValue.slice(prefix.length));
        if (ordinal === undefined || (ordinal >= s.start && ordinal < s.start + s.replicas)) continue;
        if (condemnedPods.has(`${setName}-${ordinal}`)) continue;
        try {
          await this.client.delete(claims, namespace, claimNameValue);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
  }

  private async createPod(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.client.create(pods, pod);
    } catch (err) {
      // Already created by an earlier pass whose pod the cache has not shown yet: its event follows.
      if (isAlreadyExists(err)) return;
      this.recordPodEvent("create", set, pod, err);
      throw err;
    }
    this.recordPodEvent("create", set, pod);
  }

  private async deletePod(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.client.delete(pods, pod.metadata!.namespace ?? "", pod.metadata!.name, { preconditions: { uid: pod.metadata!.uid } });
    } catch (err) {
      if (isNotFound(err)) return;
      this.recordPodEvent("delete", set, pod, err);
      throw err;
    }
    this.recordPodEvent("delete", set, pod);
  }

  /** Kubernetes' wording: "create Pod web-0 in StatefulSet web successful", reason SuccessfulCreate (or FailedCreate, …). */
  private recordPodEvent(verb: "create" | "delete", set: StatefulSet, pod: Pod, err?: unknown): void {
    const title = verb === "create" ? "Create" : "Delete";
    const what = `${verb} Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name}`;
    if (err === undefined) this.recorder.record(statefulSets, set, "Normal", `Successful${title}`, `${what} successful`);
    else this.recorder.record(statefulSets, set, "Warning", `Failed${title}`, `${what} failed error: ${messageOf(err)}`);
  }

  private async writeStatus(set: StatefulSet, status: StatefulSetStatus): Promise<void> {
    const before = appsV1StatefulSet.StatefulSetStatus.toJSON(appsV1StatefulSet.StatefulSetStatus.fromPartial(set.status ?? {}));
    if (JSON.stringify(before) === JSON.stringify(appsV1StatefulSet.StatefulSetStatus.toJSON(status))) return;
    try {
      await this.client.updateStatus(statefulSets, appsV1StatefulSet.StatefulSet.fromPartial({ ...set, status }));
    } catch (err) {
      // A newer StatefulSet is on its way through the informer; that event reconciles again.
      if (!isConflict(err)) throw err;
    }
  }
}

/** Builds the StatefulSet controller on the context's manager: StatefulSets, their pods, revisions and claims. */
export function newStatefulSetController(ctx: ControllerContext): void {
  const { manager, informers, client } = ctx;
  const setInformer = informers.informerFor(statefulSets);
  const podInformer = informers.informerFor(pods);
  const revisionInformer = informers.informerFor(controllerRevisions);
  const claimInformer = informers.informerFor(claims);
  const reconciler = new StatefulSetReconciler(
    client,
    { statefulSets: setInformer.lister, pods: podInformer.lister, revisions: revisionInformer.lister, claims: claimInformer.lister },
    ctx.now,
    ctx.recorder("statefulset-controller"),
  );
  const controller = manager.newController({ name: "statefulset", reconciler });
  controller.watch(setInformer);
  controller.watch(podInformer, ownerKey("StatefulSet"));
}
