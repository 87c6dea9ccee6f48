// validateObject: Kubernetes' create and update validation for every kind in the registry.
import type { FieldError } from "../field-errors.js";
import type { HorizontalPodAutoscaler } from "../gen/kubeplane/autoscaling/v2/horizontal_pod_autoscaler.js";
import type { CronJob } from "../gen/kubeplane/batch/v1/cron_job.js";
import type { CertificateSigningRequest } from "../gen/kubeplane/certificates/v1/certificate_signing_request.js";
import type { Job } from "../gen/kubeplane/batch/v1/job.js";
import type { Lease } from "../gen/kubeplane/coordination/v1/lease.js";
import type { ConfigMap, Namespace, Secret } from "../gen/kubeplane/core/v1/config.js";
import type { Event } from "../gen/kubeplane/core/v1/event.js";
import type { Node } from "../gen/kubeplane/core/v1/node.js";
import type { Pod } from "../gen/kubeplane/core/v1/pod.js";
import type { ReplicationController } from "../gen/kubeplane/core/v1/replication_controller.js";
import type { LimitRange, ResourceQuota } from "../gen/kubeplane/core/v1/resource_quota.js";
import type { Endpoints, Service } from "../gen/kubeplane/core/v1/service.js";
import type { PersistentVolume, PersistentVolumeClaim } from "../gen/kubeplane/core/v1/volume.js";
import type { EndpointSlice } from "../gen/kubeplane/discovery/v1/endpoint_slice.js";
import type { Ingress } from "../gen/kubeplane/networking/v1/ingress.js";
import type { NetworkPolicy } from "../gen/kubeplane/networking/v1/network_policy.js";
import type { PodDisruptionBudget } from "../gen/kubeplane/policy/v1/pod_disruption_budget.js";
import type { PriorityClass } from "../gen/kubeplane/scheduling/v1/priority_class.js";
import type { StorageClass } from "../gen/kubeplane/storage/v1/storage_class.js";
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "../gen/kubeplane/rbac/v1/rbac.js";
import type { ApiObject, KindInfo } from "../kinds.js";
import { validateHpa } from "./autoscaling.js";
import { validateCronJob, validateJob, validateJobUpdate } from "./batch.js";
import { validateCsr } from "./certificates.js";
import { validateConfigMap, validateEvent, validateImmutableData, validateLease, validateNamespace, validateNode, validatePriorityClass, validateSecret } from "./core.js";
import { dns1035LabelProblems, dns1123LabelProblems, dns1123SubdomainProblems } from "./names.js";
import { validateNetworkPolicy } from "./network-policy.js";
import { validateIngress } from "./networking.js";
import { nameValidator, validateObjectMeta, validateObjectMetaUpdate, type NameValidator } from "./object-meta.js";
import { validatePod, validatePodUpdate } from "./pod.js";
import { validatePdb } from "./policy.js";
import { validateLimitRange, validateResourceQuota } from "./resource-policy.js";
import { pathSegmentNameProblems, validateClusterRole, validateClusterRoleBinding, validateRole, validateRoleBinding } from "./rbac.js";
import { validateEndpointSlice, validateEndpoints, validateService, validateServiceUpdate } from "./service.js";
import { validatePv, validatePvUpdate, validatePvc, validatePvcUpdate, validateStorageClass } from "./storage.js";
import { validateDaemonSet, validateDeployment, validateReplicaSet, validateReplicationController, validateStatefulSet, validateWorkloadUpdate } from "./workloads.js";

const subdomain = nameValidator(dns1123SubdomainProblems);
/** Namespaces are DNS labels; Services DNS-1035 labels (their names become DNS names and env var prefixes). */
const names: Readonly<Record<string, NameValidator>> = {
  Namespace: nameValidator(dns1123LabelProblems),
  Service: nameValidator(dns1035LabelProblems),
  Role: nameValidator(pathSegmentNameProblems),
  ClusterRole: nameValidator(pathSegmentNameProblems),
  RoleBinding: nameValidator(pathSegmentNameProblems),
  ClusterRoleBinding: nameValidator(pathSegmentNameProblems),
};

type Validator = (obj: ApiObject, old?: ApiObject) => FieldError[];

const specValidators: Readonly<Record<string, Validator>> = {
  Pod: (o, old) => (old ? validatePodUpdate(o as Pod, old as Pod) : validatePod(o as Pod)),
  Deployment: (o) => validateDeployment(o),
  ReplicaSet: (o) => validateReplicaSet(o),
  DaemonSet: (o) => validateDaemonSet(o),
  StatefulSet: (o) => validateStatefulSet(o),
  ReplicationController: (o) => validateReplicationController(o as ReplicationController),
  Job: (o, old) => [...validateJob(o as Job), ...(old ? validateJobUpdate(o as Job, old as Job) : [])],
  CronJob: (o) => validateCronJob(o as CronJob),
  Service: (o, old) => [...validateService(o as Service), ...(old ? validateServiceUpdate(o as Service, old as Service) : [])],
  Endpoints: (o) => validateEndpoints(o as Endpoints),
  EndpointSlice: (o) => validateEndpointSlice(o as EndpointSlice),
  Namespace: (o) => validateNamespace(o as Namespace),
  ConfigMap: (o, old) => [...validateConfigMap(o as ConfigMap), ...(old ? validateImmutableData(o as ConfigMap, old as ConfigMap) : [])],
  Secret: (o, old) => [...validateSecret(o as Secret), ...(old ? validateImmutableData(o as Secret, old as Secret) : [])],
  Node: (o) => validateNode(o as Node),
  Event: (o) => validateEvent(o as Event),
  PersistentVolume: (o, old) => (old ? validatePvUpdate(o as PersistentVolume, old as PersistentVolume) : validatePv(o as PersistentVolume)),
  PersistentVolumeClaim: (o, old) =>
    old ? validatePvcUpdate(o as PersistentVolumeClaim, old as PersistentVolumeClaim) : validatePvc(o as PersistentVolumeClaim),
  StorageClass: (o, old) => validateStorageClass(o as StorageClass, old as StorageClass | undefined),
  PriorityClass: (o, old) => validatePriorityClass(o as PriorityClass, old as PriorityClass | undefined),
  Lease: (o) => validateLease(o as Lease),
  CertificateSigningRequest: (o, old) => validateCsr(o as CertificateSigningRequest, old as CertificateSigningRequest | undefined),
  Ingress: (o) => validateIngress(o as Ingress),
  NetworkPolicy: (o) => validateNetworkPolicy(o as NetworkPolicy),
  HorizontalPodAutoscaler: (o) => validateHpa(o as HorizontalPodAutoscaler),
  PodDisruptionBudget: (o) => validatePdb(o as PodDisruptionBudget),
  ResourceQuota: (o) => validateResourceQuota(o as ResourceQuota),
  LimitRange: (o) => validateLimitRange(o as LimitRange),
  Role: (o) => validateRole(o as Role),
  ClusterRole: (o) => validateClusterRole(o as ClusterRole),
  RoleBinding: (o, old) => validateRoleBinding(o as RoleBinding, old as RoleBinding | undefined),
  ClusterRoleBinding: (o, old) => validateClusterRoleBinding(o as ClusterRoleBinding, old as ClusterRoleBinding | undefined),
};

type WithSelector = Parameters<typeof validateWorkloadUpdate>[1];
const APPS_WITH_SELECTOR = new Set(["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"]);

/**
 * Kubernetes' validation of `obj` as `info`'s kind: a create when `old` is undefined, an update of
 * `old` otherwise. Returns every error found (empty when valid); never throws. Expects defaults to
 * have been applied (applyDefaults), as the apiserver does before validating.
 */
export function validateObject(info: KindInfo, obj: ApiObject, old?: ApiObject): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, info.namespaced, names[info.kind] ?? subdomain);
  if (old) errs.push(...validateObjectMetaUpdate(obj.metadata, old.metadata));
  errs.push(...(specValidators[info.kind]?.(obj, old) ?? []));
  if (old && APPS_WITH_SELECTOR.has(info.kind)) errs.push(...validateWorkloadUpdate(info.kind, obj as WithSelector, old as WithSelector));
  return errs;
}
