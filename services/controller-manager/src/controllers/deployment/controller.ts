// The Deployment controller: rolls a pod template out through ReplicaSets (RollingUpdate or Recreate), scales, keeps history.
import { kindFor, type appsV1Deployment, type appsV1ReplicaSet, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import { controllerRef, ownerKey } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";
import { deploymentSelector } from "./replica-sets.js";
import { DeploymentSyncer } from "./sync.js";

type Deployment = appsV1Deployment.Deployment;
type ReplicaSet = appsV1ReplicaSet.ReplicaSet;
type Pod = coreV1Pod.Pod;

export const deploymentKind = kindFor("apps/v1", "Deployment") as KindInfo<Deployment>;
const replicaSetKind = kindFor("apps/v1", "ReplicaSet") as KindInfo<ReplicaSet>;
const podKind = kindFor("v1", "Pod") as KindInfo<Pod>;

/** Builds the Deployment controller on the context's manager: Deployments and the ReplicaSets they own. */
export function newDeploymentController(ctx: ControllerContext): void {
  const { manager, informers, client, logger } = ctx;
  const deployments = informers.informerFor(deploymentKind);
  const replicaSets = informers.informerFor(replicaSetKind);
  const pods = informers.informerFor(podKind);
  const reconciler = new DeploymentSyncer({
    client,
    deploymentKind,
    replicaSetKind,
    deployments: deployments.lister,
    replicaSets: replicaSets.lister,
    pods: pods.lister,
    logger,
    recorder: ctx.recorder("deployment-controller"),
    now: ctx.now,
  });
  const controller = manager.newController({ name: "deployment", reconciler });
  const ownedBy = ownerKey("Deployment");

  controller.watch(deployments);
  // A controlled RS wakes its Deployment; an orphan wakes every Deployment that would adopt it.
  controller.watch(replicaSets, (rs) => {
    if (controllerRef(rs)) return ownedBy(rs);
    const namespace = rs.metadata!.namespace;
    // Orphans are rare (a Deployment deleted with Orphan, or an RS made by hand): a scan is fine.
    return deployments.lister.listByNamespace(namespace).flatMap((d) => {
      try {
        const selector = deploymentSelector(d);
        return !selector.empty && selector.matches(rs.metadata?.labels) ? [`${namespace}/${d.metadata!.name}`] : [];
      } catch {
        return [];
      }
    });
  });
  // Recreate waits for the last old pod to be gone, which no ReplicaSet event reports.
  pods.addEventHandler({
    onDelete: (pod) => {
      const ref = controllerRef(pod);
      if (ref?.kind !== "ReplicaSet") return;
      const rs = replicaSets.lister.get(pod.metadata!.namespace, ref.name);
      if (!rs || rs.metadata?.uid !== ref.uid) return;
      for (const key of ownedBy(rs)) {
        const d = deployments.lister.getByKey(key);
        if (d?.spec?.strategy?.type === "Recreate") controller.enqueueKey(key);
      }
    },
  });
}
