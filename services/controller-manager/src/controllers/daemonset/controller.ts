// The DaemonSet controller: one pod per eligible node, rolling updates bounded by maxUnavailable, revision history.
import type { appsV1ControllerRevision, coreV1Node } from "@kubeplane/api";
import { appsV1DaemonSet, coreV1Pod, isConflict, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import { Expectations, isControlledBy, newControllerRef, ownerKey, type Reconciler, type Request, type Result } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";
import { messageOf, type EventRecorder } from "../event-recorders.js";
import { CONTROLLER_REVISION_HASH, controllerRevisions, ensureRevision, truncateHistory } from "../util/controller-history.js";
import { nodeShouldRunDaemonPod, withDaemonTolerations, type NodeEligibility } from "./node-eligibility.js";
import { isPodAvailable, isPodReady, msUntilAvailable } from "../util/pod-util.js";
import { scaledValue } from "../util/scaled-value.js";

type DaemonSet = appsV1DaemonSet.DaemonSet;
type DaemonSetStatus = appsV1DaemonSet.DaemonSetStatus;
type Node = coreV1Node.Node;
type Pod = coreV1Pod.Pod;

const daemonSets = kindFor("apps/v1", "DaemonSet") as KindInfo<DaemonSet>;
const nodes = kindFor("v1", "Node") as KindInfo<Node>;
const pods = kindFor("v1", "Pod") as KindInfo<Pod>;

/** One node as a sync sees it: may a daemon pod run there, and the daemon pod that runs there now. */
interface NodePlan {
  node: string;
  eligibility: NodeEligibility;
  /** The pod kept on the node (not being deleted, not failed), if any. */
  pod?: Pod;
}

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
    const plans = this.plan(ds, daemonPods);

    if (this.expectations.satisfied(key)) {
      const { create, remove } = this.manage(plans, daemonPods);
      if (create.length === 0 && remove.length === 0 && ds.spec?.updateStrategy?.type !== "OnDelete") {
        remove.push(...this.rollingUpdate(ds, plans, hash));
      }
      await this.apply(key, ds, hash, create, remove);
    }

    const live = new Set([ensured.revision.metadata!.name, ...daemonPods.map((p) => `${name}-${p.metadata?.labels[CONTROLLER_REVISION_HASH] ?? ""}`)]);
    await truncateHistory(this.client, owned, live, ds.spec?.revisionHistoryLimit ?? 10);
    const { status, requeueAfterMs } = this.status(ds, plans, hash);
    await this.writeStatus(ds, status);
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  }

  /** Per node: eligibility and the one daemon pod that is kept there. */
  private plan(ds: DaemonSet, daemonPods: Pod[]): NodePlan[] {
    const spec = ds.spec?.template?.spec ?? coreV1Pod.PodSpec.fromPartial({});
    const kept = new Map<string, Pod>();
    for (const pod of sortForKeeping(daemonPods.filter(isKeepable))) {
      const node = pod.spec?.nodeName ?? "";
      if (!kept.has(node)) kept.set(node, pod);
    }
    return this.listers.nodes.list().map((node) => {
      const n = node.metadata!.name;
      return { node: n, eligibility: nodeShouldRunDaemonPod(node, spec), pod: kept.get(n) };
    });
  }

  /** Which nodes need a pod and which pods must go (duplicates, failed, misscheduled, orphaned by their node). */
  private manage(plans: NodePlan[], daemonPods: Pod[]): { create: string[]; remove: Pod[] } {
    const create: string[] = [];
    const keep = new Set<Pod>();
    for (const p of plans) {
      if (p.pod && p.eligibility.shouldContinueRunning) keep.add(p.pod);
      else if (!p.pod && p.eligibility.shouldRun) create.push(p.node);
    }
    // Everything else not already being deleted goes: extra pods on a node, failed ones (replaced on
    // the next sync), pods on nodes that are no longer eligible or no longer exist.
    const remove = daemonPods.filter((pod) => !keep.has(pod) && !pod.metadata?.deletionTimestamp);
    return { create, remove };
  }

  /**
   * RollingUpdate: old-template pods are deleted while at most maxUnavailable eligible nodes lack an
   * available pod; a node whose pod is being replaced counts as unavailable until the new one is,
   * so the next batch waits for the replacements. Unavailable old pods go first, at no cost.
   */
  private rollingUpdate(ds: DaemonSet, plans: NodePlan[], hash: string): Pod[] {
    const eligible = plans.filter((p) => p.eligibility.shouldRun || (p.pod && p.eligibility.shouldContinueRunning));
    const ru = ds.spec?.updateStrategy?.rollingUpdate;
    const maxUnavailable = Math.max(1, scaledValue(ru?.maxUnavailable ?? "", eligible.length, true, 1));
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const now = this.now();
    let unavailable = 0;
    const remove: Pod[] = [];
    const candidates: Pod[] = [];
    for (const { pod } of eligible) {
      const old = pod !== undefined && pod.metadata?.labels[CONTROLLER_REVISION_HASH] !== hash;
      if (!pod || !isPodAvailable(pod, minReady, now)) {
        unavailable++;
        if (old) remove.push(pod);
      } else if (old) {
        candidates.push(pod);
      }
    }
    return [...remove, ...candidates.slice(0, Math.max(0, maxUnavailable - unavailable))];
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

  private status(ds: DaemonSet, plans: NodePlan[], hash: string): { status: DaemonSetStatus; requeueAfterMs?: number } {
    const now = this.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    let desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
    let requeueAfterMs: number | undefined;
    for (const { eligibility, pod } of plans) {
      if (eligibility.shouldRun) desired++;
      if (!pod) continue;
      if (!eligibility.shouldRun) {
        misscheduled++;
        continue;
      }
      current++;
      if (pod.metadata?.labels[CONTROLLER_REVISION_HASH] === hash) updated++;
      if (isPodReady(pod)) ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
      const wait = msUntilAvailable(pod, minReady, now);
      if (wait !== undefined) requeueAfterMs = Math.min(requeueAfterMs ?? wait, wait);
    }
    const status = appsV1DaemonSet.DaemonSetStatus.fromPartial({
      ...ds.status,
      desiredNumberScheduled: desired,
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      numberReady: ready,
      numberAvailable: available,
      numberUnavailable: Math.max(0, desired - available),
      updatedNumberScheduled: updated,
      observedGeneration: ds.metadata?.generation ?? 0,
    });
    return { status, requeueAfterMs };
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


function isKeepable(pod: Pod): boolean {
  return !pod.metadata?.deletionTimestamp && pod.status?.phase !== "Failed";
}

/** Oldest first (Kubernetes keeps the oldest of duplicate daemon pods), then by name for stability. */
function sortForKeeping(list: Pod[]): Pod[] {
  return [...list].sort((a, b) => {
    const ta = a.metadata?.creationTimestamp ?? "";
    const tb = b.metadata?.creationTimestamp ?? "";
    return ta !== tb ? (ta < tb ? -1 : 1) : a.metadata!.name < b.metadata!.name ? -1 : 1;
  });
}

/**
 * The daemon pod for `node`. Kubernetes pins it with a required node affinity on the node's name
 * and lets the scheduler bind it; Kubeplane sets `spec.nodeName` directly, which is simpler and
 * equivalent here because eligibility (selector, affinity, taints) is already checked above. The
 * trade-off: no resource fit check, as with Kubernetes before 1.12.
 */
export function daemonPod(ds: DaemonSet, hash: string, node: string): Pod {
  const template = ds.spec?.template;
  const spec = coreV1Pod.PodSpec.fromPartial(template?.spec ?? {});
  spec.nodeName = node;
  spec.tolerations = withDaemonTolerations(spec);
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `${ds.metadata!.name}-`,
      namespace: ds.metadata!.namespace,
      labels: { ...(template?.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH]: hash },
      annotations: { ...(template?.metadata?.annotations ?? {}) },
      ownerReferences: [newControllerRef(ds)],
    },
    spec,
  });
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
