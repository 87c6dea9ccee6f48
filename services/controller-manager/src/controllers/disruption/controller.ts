// The disruption controller: keeps each PodDisruptionBudget's status (healthy, desired, expected pods, disruptions allowed) current.
import { kindFor, isConflict, pdbSelectsPod, policyV1, type appsV1Deployment, type appsV1ReplicaSet, type appsV1StatefulSet, type coreV1Pod, type coreV1ReplicationController, type KindInfo } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import { controllerRef, type Reconciler, type Request, type Result } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";
import { computeBudget, failedBudgetStatus } from "./budget.js";

type Pod = coreV1Pod.Pod;
type PodDisruptionBudget = policyV1.PodDisruptionBudget;

const pdbs = kindFor("policy/v1", "PodDisruptionBudget") as KindInfo<PodDisruptionBudget>;
const pods = kindFor("v1", "Pod") as KindInfo<Pod>;
const deployments = kindFor("apps/v1", "Deployment") as KindInfo<appsV1Deployment.Deployment>;
const replicaSets = kindFor("apps/v1", "ReplicaSet") as KindInfo<appsV1ReplicaSet.ReplicaSet>;
const statefulSets = kindFor("apps/v1", "StatefulSet") as KindInfo<appsV1StatefulSet.StatefulSet>;
const replicationControllers = kindFor("v1", "ReplicationController") as KindInfo<coreV1ReplicationController.ReplicationController>;

/** The caches a budget's reconcile reads. */
interface Listers {
  pdbs: Lister<PodDisruptionBudget>;
  pods: Lister<Pod>;
  deployments: Lister<appsV1Deployment.Deployment>;
  replicaSets: Lister<appsV1ReplicaSet.ReplicaSet>;
  statefulSets: Lister<appsV1StatefulSet.StatefulSet>;
  replicationControllers: Lister<coreV1ReplicationController.ReplicationController>;
}

/**
 * Reconciles one PodDisruptionBudget from the cached pods it selects (and, for maxUnavailable or a
 * percentage, its pods' controllers' replicas); writes status only when it changed. The eviction
 * subresource lowers disruptionsAllowed between reconciles and records the pod in disruptedPods.
 */
export class DisruptionReconciler implements Reconciler {
  constructor(
    private readonly client: ApiClient,
    private readonly listers: Listers,
    private readonly now: () => Date,
  ) {}

  async reconcile({ namespace, name }: Request): Promise<Result | void> {
    const pdb = this.listers.pdbs.get(namespace, name);
    if (!pdb || pdb.metadata?.deletionTimestamp) return;
    const selected = this.listers.pods.listByNamespace(namespace).filter((p) => pdbSelectsPod(pdb, p));
    const now = this.now();
    const result = computeBudget({ pdb, pods: selected, expectedFromControllers: () => this.expectedScale(selected), now });
    const status = "failure" in result ? failedBudgetStatus(pdb, result.failure, now) : result.status;
    await this.writeStatus(pdb, status);
    if ("recheckAfterMs" in result && result.recheckAfterMs !== undefined) return { requeueAfterMs: result.recheckAfterMs };
  }

  /** Sum of spec.replicas over the pods' distinct controllers (a ReplicaSet of a Deployment counts as the Deployment). */
  private expectedScale(selected: readonly Pod[]): number | string {
    const seen = new Map<string, number>();
    for (const pod of selected) {
      const ref = controllerRef(pod);
      const ns = pod.metadata!.namespace ?? "";
      if (!ref) return `found no controller ref for pod "${pod.metadata!.name}"`;
      const scale = this.controllerScale(ns, ref.kind, ref.name, ref.uid);
      if (typeof scale === "string") return scale;
      seen.set(scale.uid, scale.replicas);
    }
    return [...seen.values()].reduce((a, b) => a + b, 0);
  }

  private controllerScale(ns: string, kind: string, name: string, uid: string): { uid: string; replicas: number } | string {
    const missing = `found no controllers for pod's ${kind} "${name}"`;
    switch (kind) {
      case "ReplicaSet": {
        const rs = this.listers.replicaSets.get(ns, name);
        if (!rs || rs.metadata?.uid !== uid) return missing;
        const owner = controllerRef(rs);
        if (owner?.kind === "Deployment") {
          const d = this.listers.deployments.get(ns, owner.name);
          if (d && d.metadata?.uid === owner.uid) return { uid: owner.uid, replicas: d.spec?.replicas ?? 1 };
        }
        return { uid, replicas: rs.spec?.replicas ?? 1 };
      }
      case "StatefulSet": {
        const s = this.listers.statefulSets.get(ns, name);
        return s && s.metadata?.uid === uid ? { uid, replicas: s.spec?.replicas ?? 1 } : missing;
      }
      case "ReplicationController": {
        const rc = this.listers.replicationControllers.get(ns, name);
        return rc && rc.metadata?.uid === uid ? { uid, replicas: rc.spec?.replicas ?? 1 } : missing;
      }
      default:
        return `the pod's controller ${kind} "${name}" has no scale this controller reads`;
    }
  }

  private async writeStatus(pdb: PodDisruptionBudget, status: policyV1.PodDisruptionBudgetStatus): Promise<void> {
    const codec = policyV1.PodDisruptionBudgetStatus;
    if (JSON.stringify(codec.toJSON(codec.fromPartial(pdb.status ?? {}))) === JSON.stringify(codec.toJSON(codec.fromPartial(status)))) return;
    try {
      await this.client.updateStatus(pdbs, policyV1.PodDisruptionBudget.fromPartial({ ...pdb, apiVersion: "policy/v1", kind: "PodDisruptionBudget", status }));
    } catch (err) {
      // A newer budget (an eviction lowered disruptionsAllowed) is on its way through the informer.
      if (!isConflict(err)) throw err;
    }
  }
}

/** Builds the disruption controller: budgets, and the pods and controllers that change them. */
export function newDisruptionController(ctx: ControllerContext): void {
  const { manager, informers, client } = ctx;
  const pdbInformer = informers.informerFor(pdbs);
  const podInformer = informers.informerFor(pods);
  const deploymentInformer = informers.informerFor(deployments);
  const replicaSetInformer = informers.informerFor(replicaSets);
  const statefulSetInformer = informers.informerFor(statefulSets);
  const rcInformer = informers.informerFor(replicationControllers);
  const reconciler = new DisruptionReconciler(
    client,
    {
      pdbs: pdbInformer.lister,
      pods: podInformer.lister,
      deployments: deploymentInformer.lister,
      replicaSets: replicaSetInformer.lister,
      statefulSets: statefulSetInformer.lister,
      replicationControllers: rcInformer.lister,
    },
    ctx.now,
  );
  const controller = manager.newController({ name: "disruption", reconciler });
  controller.watch(pdbInformer);
  const budgetsOf = (pod: Pod): string[] =>
    pdbInformer.lister
      .listByNamespace(pod.metadata?.namespace ?? "")
      .filter((b) => pdbSelectsPod(b, pod))
      .map((b) => `${b.metadata!.namespace}/${b.metadata!.name}`);
  controller.watch(podInformer, budgetsOf);
  // A scale change moves expectedPods: every budget of the namespace looks again (budgets are few).
  const namespaceBudgets = (obj: { metadata?: { namespace?: string } }): string[] =>
    pdbInformer.lister.listByNamespace(obj.metadata?.namespace ?? "").map((b) => `${b.metadata!.namespace}/${b.metadata!.name}`);
  controller.watch(deploymentInformer, namespaceBudgets);
  controller.watch(replicaSetInformer, namespaceBudgets);
  controller.watch(statefulSetInformer, namespaceBudgets);
  controller.watch(rcInformer, namespaceBudgets);
}
