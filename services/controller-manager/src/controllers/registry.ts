// The controllers the controller-manager knows, by the name `--controllers` uses: one explicit descriptor list
// (kube-controller-manager's NewControllerDescriptors), no registration by import side effect.
import type { ControllerConstructor } from "./context.js";
import { newClusterRoleAggregationController } from "./clusterrole-aggregation/controller.js";
import { newCronJobController } from "./cronjob/controller.js";
import { newCsrApprovingController } from "./csr-approving/controller.js";
import { newCsrSigningController } from "./csr-signing/controller.js";
import { newDaemonSetController } from "./daemonset/controller.js";
import { newDeploymentController } from "./deployment/controller.js";
import { newDisruptionController } from "./disruption/controller.js";
import { newEndpointsController } from "./endpoints/controller.js";
import { newEndpointSliceController } from "./endpointslice/controller.js";
import { newGarbageCollector } from "./garbage-collector/controller.js";
import { newHorizontalPodAutoscalerController } from "./horizontalpodautoscaler/controller.js";
import { newJobController } from "./job/controller.js";
import { newNamespaceController } from "./namespace/controller.js";
import { newNodeLifecycleController } from "./node-lifecycle/controller.js";
import { newReplicaSetController, newReplicationControllerController } from "./replicaset/controller.js";
import { newResourceQuotaController } from "./resourcequota/controller.js";
import { newRootCaPublisher } from "./root-ca-publisher/controller.js";
import { newServiceAccountsController } from "./serviceaccount/controller.js";
import { newStatefulSetController } from "./statefulset/controller.js";
import { newTokenCleaner } from "./token-cleaner/controller.js";

export { selectControllers } from "@kubeplane/controller";

/** One controller: the name `--controllers` selects it by, and what builds it on the manager. */
export interface ControllerDescriptor {
  readonly name: string;
  readonly construct: ControllerConstructor;
}

/** Every controller, in the order they are built (the order informers are first asked for). */
export const controllerDescriptors: readonly ControllerDescriptor[] = [
  { name: "replicaset", construct: newReplicaSetController },
  { name: "replicationcontroller", construct: newReplicationControllerController },
  { name: "deployment", construct: newDeploymentController },
  { name: "daemonset", construct: newDaemonSetController },
  { name: "statefulset", construct: newStatefulSetController },
  { name: "job", construct: (ctx) => void newJobController(ctx) },
  { name: "cronjob", construct: (ctx) => void newCronJobController(ctx) },
  { name: "garbagecollector", construct: newGarbageCollector },
  { name: "namespace", construct: newNamespaceController },
  { name: "nodelifecycle", construct: newNodeLifecycleController },
  { name: "endpoints", construct: newEndpointsController },
  { name: "endpointslice", construct: newEndpointSliceController },
  { name: "disruption", construct: newDisruptionController },
  { name: "resourcequota", construct: newResourceQuotaController },
  { name: "horizontalpodautoscaling", construct: newHorizontalPodAutoscalerController },
  { name: "csrapproving", construct: newCsrApprovingController },
  { name: "csrsigning", construct: newCsrSigningController },
  { name: "tokencleaner", construct: newTokenCleaner },
  { name: "clusterrole-aggregation", construct: newClusterRoleAggregationController },
  { name: "serviceaccount", construct: newServiceAccountsController },
  { name: "root-ca-cert-publisher", construct: newRootCaPublisher },
];

/**
 * name → constructor, built once from controllerDescriptors. The controller-manager reads it when it starts;
 * a test may replace an entry before that (a controller with shorter back-offs).
 */
export const controllerRegistry: Record<string, ControllerConstructor> = Object.fromEntries(controllerDescriptors.map((d) => [d.name, d.construct]));
