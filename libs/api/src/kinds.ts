// The kinds registry: every kind the apiserver serves, with its REST names, scope and codec.
import type { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import type { ObjectMeta } from "./gen/kubeplane/meta/v1/meta.js";
import { ControllerRevision } from "./gen/kubeplane/apps/v1/controller_revision.js";
import { DaemonSet } from "./gen/kubeplane/apps/v1/daemon_set.js";
import { Deployment } from "./gen/kubeplane/apps/v1/deployment.js";
import { ReplicaSet } from "./gen/kubeplane/apps/v1/replica_set.js";
import { StatefulSet } from "./gen/kubeplane/apps/v1/stateful_set.js";
import { HorizontalPodAutoscaler } from "./gen/kubeplane/autoscaling/v2/horizontal_pod_autoscaler.js";
import { CronJob } from "./gen/kubeplane/batch/v1/cron_job.js";
import { CertificateSigningRequest } from "./gen/kubeplane/certificates/v1/certificate_signing_request.js";
import { Job } from "./gen/kubeplane/batch/v1/job.js";
import { Lease } from "./gen/kubeplane/coordination/v1/lease.js";
import { ConfigMap, Namespace, Secret, ServiceAccount } from "./gen/kubeplane/core/v1/config.js";
import { Event } from "./gen/kubeplane/core/v1/event.js";
import { Node } from "./gen/kubeplane/core/v1/node.js";
import { Pod } from "./gen/kubeplane/core/v1/pod.js";
import { ReplicationController } from "./gen/kubeplane/core/v1/replication_controller.js";
import { LimitRange, ResourceQuota } from "./gen/kubeplane/core/v1/resource_quota.js";
import { Endpoints, Service } from "./gen/kubeplane/core/v1/service.js";
import { PersistentVolume, PersistentVolumeClaim } from "./gen/kubeplane/core/v1/volume.js";
import { EndpointSlice } from "./gen/kubeplane/discovery/v1/endpoint_slice.js";
import { NodeMetrics, PodMetrics } from "./gen/kubeplane/metrics/v1beta1/metrics.js";
import { Ingress } from "./gen/kubeplane/networking/v1/ingress.js";
import { NetworkPolicy } from "./gen/kubeplane/networking/v1/network_policy.js";
import { PodDisruptionBudget } from "./gen/kubeplane/policy/v1/pod_disruption_budget.js";
import { PriorityClass } from "./gen/kubeplane/scheduling/v1/priority_class.js";
import { StorageClass } from "./gen/kubeplane/storage/v1/storage_class.js";
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "./gen/kubeplane/rbac/v1/rbac.js";
import { SelfSubjectAccessReview, SubjectAccessReview } from "./gen/kubeplane/authorization/v1/access_review.js";
import { SelfSubjectReview } from "./gen/kubeplane/authentication/v1/self_subject_review.js";
import { hpaV1ToV2, hpaV2ToV1 } from "./conversion/autoscaling-v1.js";

/** What every stored kind has: Kubernetes' type fields and metadata. */
export interface ApiObject {
  apiVersion: string;
  kind: string;
  metadata?: ObjectMeta | undefined;
}

/** The functions ts-proto generates for a message. */
export interface MessageCodec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
  fromJSON(object: unknown): T;
  toJSON(message: T): unknown;
  create(base?: unknown): T;
  fromPartial(object: unknown): T;
}

/** One kind as the API serves it. Entries are immutable and shared. */
export interface KindInfo<T extends ApiObject = ApiObject> {
  /** "" for core. */
  readonly group: string;
  readonly version: string;
  /** "v1", "apps/v1". */
  readonly apiVersion: string;
  readonly kind: string;
  /** The REST resource: lower-case plural ("deployments"); also the etcd and NATS subject segment. */
  readonly resource: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
  /** The protobuf message's full name, for the schema-driven JSON codec. */
  readonly typeName: string;
  readonly codec: MessageCodec<T>;
  /** Whether the kind has a status subresource (spec writes leave status alone and vice versa). */
  readonly hasStatus: boolean;
  /** Whether the kind has the scale subresource (spec.replicas, status.replicas, label selector). */
  readonly hasScale: boolean;
  /** kubectl's "all" category membership. */
  readonly inAll: boolean;
  /**
   * The fields a field selector may name beyond metadata.name and metadata.namespace, with their
   * values for an object (Kubernetes' GetAttrs).
   */
  selectableFields?(obj: T): Record<string, string>;
  /**
   * Set on an older served version of a kind (autoscaling/v1 HorizontalPodAutoscaler): the kind is
   * stored and handled as its storage version (same codec, typeName and resource), and the JSON
   * codec converts at the edge, in (`toStorage`) and out (`fromStorage`).
   */
  readonly conversion?: { readonly storageVersion: string; toStorage(json: unknown): unknown; fromStorage(json: Record<string, unknown>): Record<string, unknown> };
}

type Entry<T extends ApiObject> = Omit<KindInfo<T>, "apiVersion" | "singular" | "typeName" | "inAll" | "hasScale" | "shortNames"> &
  Partial<Pick<KindInfo<T>, "hasScale" | "inAll" | "shortNames">> & { typeName?: string };

function define<T extends ApiObject>(e: Entry<T>): KindInfo<T> {
  const pkg = `kubeplane.${e.group === "" ? "core" : e.group.split(".")[0]}.${e.version}`;
  return Object.freeze({
    ...e,
    apiVersion: e.group ? `${e.group}/${e.version}` : e.version,
    singular: e.kind.toLowerCase(),
    typeName: e.typeName ?? `${pkg}.${e.kind}`,
    shortNames: Object.freeze([...(e.shortNames ?? [])]),
    hasScale: e.hasScale ?? false,
    inAll: e.inAll ?? false,
  });
}

const core = { group: "", version: "v1" } as const;

export const kindsList: readonly KindInfo[] = Object.freeze([
  define({ ...core, kind: "Namespace", resource: "namespaces", shortNames: ["ns"], namespaced: false, codec: Namespace, hasStatus: true,
    selectableFields: (o) => ({ "status.phase": o.status?.phase ?? "" }) }),
  define({ ...core, kind: "Node", resource: "nodes", shortNames: ["no"], namespaced: false, codec: Node, hasStatus: true,
    selectableFields: (o) => ({ "spec.unschedulable": String(o.spec?.unschedulable ?? false) }) }),
  define({ ...core, kind: "Pod", resource: "pods", shortNames: ["po"], namespaced: true, codec: Pod, hasStatus: true, inAll: true,
    selectableFields: (o) => ({
      "spec.nodeName": o.spec?.nodeName ?? "",
      "spec.schedulerName": o.spec?.schedulerName ?? "",
      "spec.serviceAccountName": o.spec?.serviceAccountName ?? "",
      "spec.restartPolicy": o.spec?.restartPolicy ?? "",
      "spec.hostNetwork": String(o.spec?.hostNetwork ?? false),
      "status.phase": o.status?.phase ?? "",
      "status.podIP": o.status?.podIp ?? "",
      "status.nominatedNodeName": o.status?.nominatedNodeName ?? "",
    }) }),
  define({ ...core, kind: "Service", resource: "services", shortNames: ["svc"], namespaced: true, codec: Service, hasStatus: true, inAll: true,
    selectableFields: (o) => ({ "spec.clusterIP": o.spec?.clusterIp ?? "", "spec.type": o.spec?.type ?? "" }) }),
  define({ ...core, kind: "Endpoints", resource: "endpoints", shortNames: ["ep"], namespaced: true, codec: Endpoints, hasStatus: false }),
  define({ ...core, kind: "ConfigMap", resource: "configmaps", shortNames: ["cm"], namespaced: true, codec: ConfigMap, hasStatus: false }),
  define({ ...core, kind: "Secret", resource: "secrets", namespaced: true, codec: Secret, hasStatus: false,
    selectableFields: (o) => ({ type: o.type ?? "" }) }),
  define({ ...core, kind: "ServiceAccount", resource: "serviceaccounts", shortNames: ["sa"], namespaced: true, codec: ServiceAccount, hasStatus: false }),
  define({ ...core, kind: "Event", resource: "events", shortNames: ["ev"], namespaced: true, codec: Event, hasStatus: false,
    selectableFields: (o) => ({
      "involvedObject.kind": o.involvedObject?.kind ?? "",
      "involvedObject.namespace": o.involvedObject?.namespace ?? "",
      "involvedObject.name": o.involvedObject?.name ?? "",
      "involvedObject.uid": o.involvedObject?.uid ?? "",
      "involvedObject.apiVersion": o.involvedObject?.apiVersion ?? "",
      "involvedObject.resourceVersion": o.involvedObject?.resourceVersion ?? "",
      "involvedObject.fieldPath": o.involvedObject?.fieldPath ?? "",
      reason: o.reason ?? "",
      reportingComponent: o.reportingComponent ?? "",
      source: o.source?.component ?? "",
      type: o.type ?? "",
    }) }),
  define({ ...core, kind: "PersistentVolume", resource: "persistentvolumes", shortNames: ["pv"], namespaced: false, codec: PersistentVolume, hasStatus: true,
    typeName: "kubeplane.core.v1.PersistentVolume" }),
  define({ ...core, kind: "PersistentVolumeClaim", resource: "persistentvolumeclaims", shortNames: ["pvc"], namespaced: true, codec: PersistentVolumeClaim, hasStatus: true }),
  define({ ...core, kind: "ReplicationController", resource: "replicationcontrollers", shortNames: ["rc"], namespaced: true, codec: ReplicationController, hasStatus: true, hasScale: true, inAll: true,
    selectableFields: (o) => ({ "status.replicas": String(o.status?.replicas ?? 0) }) }),
  define({ ...core, kind: "ResourceQuota", resource: "resourcequotas", shortNames: ["quota"], namespaced: true, codec: ResourceQuota, hasStatus: true }),
  define({ ...core, kind: "LimitRange", resource: "limitranges", shortNames: ["limits"], namespaced: true, codec: LimitRange, hasStatus: false }),
  define({ group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice", resource: "endpointslices", namespaced: true, codec: EndpointSlice, hasStatus: false,
    typeName: "kubeplane.discovery.v1.EndpointSlice" }),
  define({ group: "apps", version: "v1", kind: "Deployment", resource: "deployments", shortNames: ["deploy"], namespaced: true, codec: Deployment, hasStatus: true, hasScale: true, inAll: true }),
  define({ group: "apps", version: "v1", kind: "ReplicaSet", resource: "replicasets", shortNames: ["rs"], namespaced: true, codec: ReplicaSet, hasStatus: true, hasScale: true, inAll: true,
    selectableFields: (o) => ({ "status.replicas": String(o.status?.replicas ?? 0) }) }),
  define({ group: "apps", version: "v1", kind: "DaemonSet", resource: "daemonsets", shortNames: ["ds"], namespaced: true, codec: DaemonSet, hasStatus: true, inAll: true }),
  define({ group: "apps", version: "v1", kind: "StatefulSet", resource: "statefulsets", shortNames: ["sts"], namespaced: true, codec: StatefulSet, hasStatus: true, hasScale: true, inAll: true }),
  define({ group: "apps", version: "v1", kind: "ControllerRevision", resource: "controllerrevisions", namespaced: true, codec: ControllerRevision, hasStatus: false }),
  define({ group: "batch", version: "v1", kind: "Job", resource: "jobs", namespaced: true, codec: Job, hasStatus: true, inAll: true,
    selectableFields: (o) => ({ "status.successful": String(o.status?.succeeded ?? 0) }) }),
  define({ group: "batch", version: "v1", kind: "CronJob", resource: "cronjobs", shortNames: ["cj"], namespaced: true, codec: CronJob, hasStatus: true, inAll: true }),
  define({ group: "autoscaling", version: "v2", kind: "HorizontalPodAutoscaler", resource: "horizontalpodautoscalers", shortNames: ["hpa"], namespaced: true, codec: HorizontalPodAutoscaler, hasStatus: true, inAll: true }),
  define({ group: "certificates.k8s.io", version: "v1", kind: "CertificateSigningRequest", resource: "certificatesigningrequests", shortNames: ["csr"], namespaced: false, codec: CertificateSigningRequest, hasStatus: true,
    selectableFields: (o) => ({ "spec.signerName": o.spec?.signerName ?? "" }) }),
  define({ group: "coordination.k8s.io", version: "v1", kind: "Lease", resource: "leases", namespaced: true, codec: Lease, hasStatus: false }),
  define({ group: "networking.k8s.io", version: "v1", kind: "Ingress", resource: "ingresses", shortNames: ["ing"], namespaced: true, codec: Ingress, hasStatus: true }),
  define({ group: "networking.k8s.io", version: "v1", kind: "NetworkPolicy", resource: "networkpolicies", shortNames: ["netpol"], namespaced: true, codec: NetworkPolicy, hasStatus: false }),
  define({ group: "policy", version: "v1", kind: "PodDisruptionBudget", resource: "poddisruptionbudgets", shortNames: ["pdb"], namespaced: true, codec: PodDisruptionBudget, hasStatus: true }),
  define({ group: "scheduling.k8s.io", version: "v1", kind: "PriorityClass", resource: "priorityclasses", shortNames: ["pc"], namespaced: false, codec: PriorityClass, hasStatus: false }),
  define({ group: "storage.k8s.io", version: "v1", kind: "StorageClass", resource: "storageclasses", shortNames: ["sc"], namespaced: false, codec: StorageClass, hasStatus: false }),
  define({ group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", resource: "roles", namespaced: true, codec: Role, hasStatus: false }),
  define({ group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", resource: "clusterroles", namespaced: false, codec: ClusterRole, hasStatus: false }),
  define({ group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", resource: "rolebindings", namespaced: true, codec: RoleBinding, hasStatus: false }),
  define({ group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding", resource: "clusterrolebindings", namespaced: false, codec: ClusterRoleBinding, hasStatus: false }),
  // Create-only reviews: answered by the apiserver's authorization step, never stored.
  define({ group: "authorization.k8s.io", version: "v1", kind: "SubjectAccessReview", resource: "subjectaccessreviews", namespaced: false, codec: SubjectAccessReview, hasStatus: false }),
  define({ group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectAccessReview", resource: "selfsubjectaccessreviews", namespaced: false, codec: SelfSubjectAccessReview, hasStatus: false }),
  define({ group: "authentication.k8s.io", version: "v1", kind: "SelfSubjectReview", resource: "selfsubjectreviews", namespaced: false, codec: SelfSubjectReview, hasStatus: false }),
] as KindInfo[]);

/**
 * metrics.k8s.io/v1beta1: read-only kinds (get, list) the apiserver computes from the kubelets'
 * stats on request and never stores. They are kept out of `kindsList` so that nothing that walks
 * the stored kinds (namespace deletion, garbage collection, watches) meets them.
 */
export const nodeMetricsInfo = define({ group: "metrics.k8s.io", version: "v1beta1", kind: "NodeMetrics", resource: "nodes", namespaced: false, codec: NodeMetrics, hasStatus: false });
export const podMetricsInfo = define({ group: "metrics.k8s.io", version: "v1beta1", kind: "PodMetrics", resource: "pods", namespaced: true, codec: PodMetrics, hasStatus: false });

const hpaV2 = kindsList.find((k) => k.group === "autoscaling" && k.kind === "HorizontalPodAutoscaler")!;
/**
 * Older versions served beside a kind's storage version, converted at the JSON edge (Kubernetes serves
 * HorizontalPodAutoscaler as autoscaling/v1 and v2 of one stored object). Not in `kindsList`: each kind
 * is listed once, at its preferred version.
 */
export const servedVersions: readonly KindInfo[] = Object.freeze([
  Object.freeze({ ...hpaV2, version: "v1", apiVersion: "autoscaling/v1", conversion: { storageVersion: "v2", toStorage: hpaV1ToV2, fromStorage: hpaV2ToV1 } }),
]);

const byApiVersionKind = new Map([...kindsList, ...servedVersions].map((k) => [`${k.apiVersion}/${k.kind}`, k]));
const byGroupResource = new Map(kindsList.map((k) => [`${k.group}/${k.resource}`, k]));

/** The kind for a manifest's apiVersion and kind, or undefined when the API does not serve it. */
export function kindFor(apiVersion: string, kind: string): KindInfo | undefined {
  return byApiVersionKind.get(`${apiVersion}/${kind}`);
}

/** The kind served at group/version/resource: its preferred version or an older one it converts from; undefined otherwise. */
export function kindForVersion(group: string, version: string, resource: string): KindInfo | undefined {
  const info = byGroupResource.get(`${group}/${resource}`);
  if (!info || !version || version === info.version) return info;
  return servedVersions.find((k) => k.group === group && k.resource === resource && k.version === version);
}

/** The kind served at group/resource ("" for core), or undefined. */
export function kindForResource(group: string, resource: string): KindInfo | undefined {
  return byGroupResource.get(`${group}/${resource}`);
}

/**
 * The kind an operator means by a name as kubectl reads it: plural, singular, short name or Kind,
 * optionally qualified by group (`deployments.apps`, `deploy`, `Deployment`). Undefined if none;
 * core wins an unqualified tie, as in kubectl.
 */
export function resolveKind(name: string): KindInfo | undefined {
  const lower = name.toLowerCase();
  const dot = lower.indexOf(".");
  const [base, group] = dot < 0 ? [lower, undefined] : [lower.slice(0, dot), lower.slice(dot + 1)];
  const matches = kindsList.filter(
    (k) =>
      (group === undefined || k.group === group) &&
      (k.resource === base || k.singular === base || k.shortNames.includes(base)),
  );
  return matches.find((k) => k.group === "") ?? matches[0];
}

/** The common fields of every kind's field selector (Kubernetes' DefaultClusterScopedAttr and namespaced attrs). */
export function fieldsOf<T extends ApiObject>(info: KindInfo<T>, obj: T): Record<string, string> {
  const base: Record<string, string> = { "metadata.name": obj.metadata?.name ?? "" };
  if (info.namespaced) base["metadata.namespace"] = obj.metadata?.namespace ?? "";
  return { ...base, ...(info.selectableFields?.(obj) ?? {}) };
}
