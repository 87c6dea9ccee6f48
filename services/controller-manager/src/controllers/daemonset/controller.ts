// The DaemonSet controller: one pod per eligible node, rolling updates bounded by maxUnavailable, revision history.
import type { appsV1ControllerRevision, coreV1Node, coreV1Pod } from "@kubeplane/api";
import { appsV1DaemonSet, isConflict, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import { Expectations, isControlledBy, ownerKey, type Reconciler, type Request, type Result } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";
import { messageOf, type EventRecorder } from "../event-recorders.js";
import { CONTROLLER_REVISION_HASH, controllerRevisions, ensureRevision, truncateHistory } from "../util/controller-history.js";
import { daemonPod } from "./daemon-pod.js";
import { planNodes, podsToCreateAndDelete, rollingUpdateDeletions } from "./node-plan.js";
import { daemonSetStatus } from "./status.js";

type DaemonSet = appsV1DaemonSet.DaemonSet;
type DaemonSetStatus = appsV1DaemonSet.DaemonSetStatus;
type Node = coreV1Node.Node;
type Pod = coreV1Pod.Pod;

const daemonSets = kindFor("apps/v1", "DaemonSet") as KindInfo<DaemonSet>;
const nodes = kindFor("v1", "Node") as KindInfo<Node>;
const pods = kindFor("v1", "Pod") as KindInfo<Pod>;

interface Listers {
  daemonSets: Lister<DaemonSet>;
  nodes: Lister<Node>;
  pods: Lister<Pod>;
  revisions: Lister<appsV1ControllerRevision.ControllerRevision>;
}

/**
 * Reconciles one DaemonSet: creates the missing daemon pods, deletes those on nodes that left or
 * stopped being eligible, replaces old-template pods a few at a time (RollingUpdate) and writes
 * status. Level-triggered: every decision is taken from the informer caches; expectations keep it
 * from acting twice on pods it created or deleted but has not seen yet.
 */
export class DaemonSetReconciler implements Reconciler {
  readonly expectations = new Expectations();

  constructor(
    private readonly client: ApiClient,
    private readonly listers: Listers,
    private readonly now: () => Date,
    /** SuccessfulCreate, FailedCreate, SuccessfulDelete and FailedDelete on the DaemonSet (daemonset-controller's pod events). */
    private readonly recorder: EventRecorder,
  ) {}

  async reconcile({ namespace, name }: Request): Promise<Result | void> {
    const key = `${namespace}/${name}`;
    const cached = this.listers.daemonSets.get(namespace, name);
    if (!cached) {
      this.expectations.delete(key);
      return;
    }
    if (cached.metadata?.deletionTimestamp) return;
    const ds: DaemonSet = { ...cached, apiVersion: "apps/v1", kind: "DaemonSet" };
    const uid = ds.metadata!.uid;
    const owned = this.listers.revisions.byIndex("owner", uid).filter((r) => isControlledBy(r, uid));
    const ensured = await ensureRevision(this.client, ds, ds.spec?.template, owned, ds.status?.collisionCount ?? 0);
    if ("collision" in ensured) {
      await this.writeStatus(ds, { ...this.statusBase(ds), collisionCount: (ds.status?.collisionCount ?? 0) + 1 });
      return { requeueAfterMs: 0 };
    }
    const hash = ensured.hash;
    const daemonPods = this.listers.pods.byIndex("owner", uid).filter((p) => isControlledBy(p, uid));
    const plans = planNodes(ds, daemonPods, this.listers.nodes.list());

    if (this.expectations.satisfied(key)) {
      const { create, remove } = podsToCreateAndDelete(plans, daemonPods);
      if (create.length === 0 && remove.length === 0 && ds.spec?.updateStrategy?.type !== "OnDelete") {
        remove.push(...rollingUpdateDeletions(ds, plans, hash, this.now()));
      }
      await this.apply(key, ds, hash, create, remove);
    }

    const live = new Set([ensured.revision.metadata!.name, ...daemonPods.map((p) => `${name}-${p.metadata?.labels[CONTROLLER_REVISION_HASH] ?? ""}`)]);
    await truncateHistory(this.client, owned, live, ds.spec?.revisionHistoryLimit ?? 10);
    const { status, requeueAfterMs } = daemonSetStatus(ds, plans, hash, this.now());
    await this.writeStatus(ds, status);
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  }

  private async apply(key: string, ds: DaemonSet, hash: string, create: string[], remove: Pod[]): Promise<void> {
    this.expectations.expectCreations(key, create.length);
    this.expectations.expectDeletions(key, remove.map((p) => p.metadata!.uid));
    const results = await Promise.allSettled([
      ...create.map(async (node) => {
        let created: Pod;
        try {
          created = await this.client.create(pods, daemonPod(ds, hash, node));
        } catch (err) {
          this.expectations.creationObserved(key);
          this.recorder.record(daemonSets, ds, "Warning", "FailedCreate", `Error creating: ${messageOf(err)}`);
          throw err;
        }
        this.recorder.record(daemonSets, ds, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata!.name}`);
      }),
      ...remove.map(async (pod) => {
        try {
          await this.client.delete(pods, pod.metadata!.namespace ?? "", pod.metadata!.name, { preconditions: { uid: pod.metadata!.uid } });
        } catch (err) {
          this.expectations.deletionObserved(key, pod.metadata!.uid);
          if (isNotFound(err)) return;
          this.recorder.record(daemonSets, ds, "Warning", "FailedDelete", `Error deleting: ${messageOf(err)}`);
          throw err;
        }
        this.recorder.record(daemonSets, ds, "Normal", "SuccessfulDelete", `Deleted pod: ${pod.metadata!.name}`);
      }),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  private statusBase(ds: DaemonSet): DaemonSetStatus {
    return appsV1DaemonSet.DaemonSetStatus.fromPartial(ds.status ?? {});
  }

  private async writeStatus(ds: DaemonSet, status: DaemonSetStatus): Promise<void> {
    const before = appsV1DaemonSet.DaemonSetStatus.toJSON(this.statusBase(ds));
    if (JSON.stringify(before) === JSON.stringify(appsV1DaemonSet.DaemonSetStatus.toJSON(status))) return;
    try {
      await this.client.updateStatus(daemonSets, appsV1DaemonSet.DaemonSet.fromPartial({ ...ds, status }));
    } catch (err) {
      // A newer DaemonSet is on its way through the informer; that event reconciles again.
      if (!isConflict(err)) throw err;
    }
  }
}

/** Whether a node change can change where daemon pods belong (heartbeats and status updates cannot). */
function nodeSchedulingChanged(a: Node, b: Node): boolean {
  return (
    JSON.stringify(a.metadata?.labels ?? {}) !== JSON.stringify(b.metadata?.labels ?? {}) ||
    JSON.stringify(a.spec?.taints ?? []) !== JSON.stringify(b.spec?.taints ?? []) ||
    (a.spec?.unschedulable ?? false) !== (b.spec?.unschedulable ?? false)
  );
}

/** Builds the DaemonSet controller on the context's manager: DaemonSets, their pods and the nodes they run on. */
export function newDaemonSetController(ctx: ControllerContext): void {
  const { manager, informers, client } = ctx;
  const dsInformer = informers.informerFor(daemonSets);
  const nodeInformer = informers.informerFor(nodes);
  const podInformer = informers.informerFor(pods);
  const revisionInformer = informers.informerFor(controllerRevisions);
  const reconciler = new DaemonSetReconciler(
    client,
    { daemonSets: dsInformer.lister, nodes: nodeInformer.lister, pods: podInformer.lister, revisions: revisionInformer.lister },
    ctx.now,
    ctx.recorder("daemonset-controller"),
  );
  const controller = manager.newController({ name: "daemonset", reconciler });
  const toOwner = ownerKey("DaemonSet");
  controller.watch(dsInformer);
  controller.watch(podInformer, toOwner);
  podInformer.addEventHandler({
    onAdd: (pod) => toOwner(pod).forEach((k) => reconciler.expectations.creationObserved(k)),
    onUpdate: (old, pod) => {
      if (!old.metadata?.deletionTimestamp && pod.metadata?.deletionTimestamp) {
        toOwner(pod).forEach((k) => reconciler.expectations.deletionObserved(k, pod.metadata!.uid));
      }
    },
    onDelete: (pod) => toOwner(pod).forEach((k) => reconciler.expectations.deletionObserved(k, pod.metadata!.uid)),
  });
  const enqueueAll = (): void => dsInformer.lister.list().forEach((ds) => controller.enqueue(ds));
  nodeInformer.addEventHandler({
    onAdd: enqueueAll,
    onUpdate: (old, cur) => {
      if (nodeSchedulingChanged(old, cur)) enqueueAll();
    },
    onDelete: enqueueAll,
  });
}
