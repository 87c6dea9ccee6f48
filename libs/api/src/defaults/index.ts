// applyDefaults: Kubernetes' defaulting (SetDefaults_*) for every kind in the registry.
import type { HorizontalPodAutoscaler } from "../gen/kubeplane/autoscaling/v2/horizontal_pod_autoscaler.js";
import type { Namespace, Secret } from "../gen/kubeplane/core/v1/config.js";
import type { Node } from "../gen/kubeplane/core/v1/node.js";
import type { Pod } from "../gen/kubeplane/core/v1/pod.js";
import type { LimitRange } from "../gen/kubeplane/core/v1/resource_quota.js";
import type { Endpoints, Service } from "../gen/kubeplane/core/v1/service.js";
import type { PersistentVolume, PersistentVolumeClaim } from "../gen/kubeplane/core/v1/volume.js";
import type { EndpointSlice } from "../gen/kubeplane/discovery/v1/endpoint_slice.js";
import type { NetworkPolicy } from "../gen/kubeplane/networking/v1/network_policy.js";
import type { PriorityClass } from "../gen/kubeplane/scheduling/v1/priority_class.js";
import type { StorageClass } from "../gen/kubeplane/storage/v1/storage_class.js";
import type { ApiObject, KindInfo } from "../kinds.js";
import { defaultHpa } from "./autoscaling.js";
import { defaultLimitRange } from "./limit-range.js";
import { defaultNetworkPolicy } from "./network-policy.js";
import { defaultPod } from "./pod.js";
import { defaultEndpointSlice, defaultEndpoints, defaultService } from "./service.js";
import { defaultPv, defaultPvc, defaultStorageClass } from "./storage.js";
import { defaultCronJob, defaultDaemonSet, defaultDeployment, defaultJob, defaultReplicaSet, defaultReplicationController, defaultStatefulSet } from "./workloads.js";

const defaulters: Readonly<Record<string, (obj: ApiObject) => void>> = {
  Pod: (o) => defaultPod(o as Pod),
  Deployment: defaultDeployment,
  ReplicaSet: defaultReplicaSet,
  DaemonSet: defaultDaemonSet,
  StatefulSet: defaultStatefulSet,
  ReplicationController: defaultReplicationController,
  Job: defaultJob,
  CronJob: defaultCronJob,
  Service: (o) => defaultService(o as Service),
  Endpoints: (o) => defaultEndpoints(o as Endpoints),
  EndpointSlice: (o) => defaultEndpointSlice(o as EndpointSlice),
  PersistentVolume: (o) => defaultPv(o as PersistentVolume),
  PersistentVolumeClaim: (o) => defaultPvc(o as PersistentVolumeClaim),
  StorageClass: (o) => defaultStorageClass(o as StorageClass),
  HorizontalPodAutoscaler: (o) => defaultHpa(o as HorizontalPodAutoscaler),
  LimitRange: (o) => defaultLimitRange(o as LimitRange),
  NetworkPolicy: (o) => defaultNetworkPolicy(o as NetworkPolicy),
  Namespace: (o) => {
    // spec.finalizers ["kubernetes"] is set on create only (the apiserver's strategy), as in
    // Kubernetes: a default here would re-add it on the namespace controller's final update.
    const ns = o as Namespace;
    ns.spec ??= { finalizers: [] };
    ns.status ??= { phase: "", conditions: [] };
    if (ns.status.phase === "") ns.status.phase = "Active";
  },
  Secret: (o) => {
    const secret = o as Secret;
    if (secret.type === "") secret.type = "Opaque";
  },
  PriorityClass: (o) => {
    (o as PriorityClass).preemptionPolicy ??= "PreemptLowerPriority";
  },
  Node: (o) => {
    // SetDefaults_NodeStatus: allocatable defaults to capacity.
    const status = (o as Node).status;
    if (status && Object.keys(status.allocatable).length === 0) status.allocatable = { ...status.capacity };
  },
};

/**
 * Applies Kubernetes' defaults for `info`'s kind to `obj` in place (kube-apiserver's SetDefaults_*),
 * never overwriting a set value. Metadata (namespace, uid, timestamps, generation) is left to the
 * apiserver. Kinds without defaults are left unchanged. Never throws.
 */
export function applyDefaults(info: KindInfo, obj: ApiObject): void {
  defaulters[info.kind]?.(obj);
}
