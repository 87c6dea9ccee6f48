// Per-kind rules of the write path that are not defaulting or validation: what a create resets,
// what a spec or status write may touch, when generation moves (Kubernetes' REST strategies).
import { isDeepStrictEqual } from "node:util";
import { metaV1, type ApiObject, type coreV1Service, type KindInfo } from "@kubeplane/api";
import { prepareCsrStatusUpdate } from "./csr-strategy.js";

type Loose = ApiObject & { spec?: unknown; status?: unknown; [field: string]: unknown };
type Service = coreV1Service.Service;
type ServiceSpec = coreV1Service.ServiceSpec;

/** Kinds whose status a create clears: it is the controllers' to write (kube-apiserver's PrepareForCreate). */
const statusResetOnCreate = new Set([
  "deployments",
  "replicasets",
  "statefulsets",
  "daemonsets",
  "replicationcontrollers",
  "jobs",
  "cronjobs",
  "horizontalpodautoscalers",
  "services",
  "ingresses",
  "persistentvolumeclaims",
  "persistentvolumes",
]);

/** Resets what a create may not set and fills the status a new object starts with. */
export function prepareForCreate(info: KindInfo, obj: ApiObject): void {
  const o = obj as Loose;
  if (statusResetOnCreate.has(info.resource)) o.status = undefined;
  switch (info.resource) {
    case "pods":
      o.status = { ...(emptyStatus(info, obj) as object), phase: "Pending", qosClass: podQosClass(obj) };
      break;
    case "namespaces": {
      o.status = { ...(emptyStatus(info, obj) as object), phase: "Active" };
      // The namespace controller's finalizer: it empties a deleted namespace, then removes it.
      const ns = obj as ApiObject & { spec?: { finalizers: string[] } };
      ns.spec ??= { finalizers: [] };
      if (!ns.spec.finalizers.includes("kubernetes")) ns.spec.finalizers.push("kubernetes");
      break;
    }
    case "persistentvolumeclaims":
    case "persistentvolumes":
      o.status = { ...(emptyStatus(info, obj) as object), phase: "Pending" };
      break;
    case "jobs":
      generateJobSelector(obj);
      break;
    case "secrets":
      mergeStringData(obj);
      break;
  }
}

/** A Secret's write-only stringData is merged into data (base64), winning over data's keys, as Kubernetes does. */
function mergeStringData(obj: ApiObject): void {
  const secret = obj as ApiObject & { data: Record<string, string>; stringData: Record<string, string> };
  for (const [k, v] of Object.entries(secret.stringData ?? {})) secret.data[k] = Buffer.from(v, "utf8").toString("base64");
  secret.stringData = {};
}

/**
 * A Job without `manualSelector` gets a selector on its own uid, and its pod template the labels
 * that match it, as kube-apiserver's Job strategy does (so two Jobs never select each other's pods).
 */
function generateJobSelector(obj: ApiObject): void {
  const job = obj as ApiObject & {
    spec?: { manualSelector?: boolean; selector?: { matchLabels: Record<string, string>; matchExpressions: unknown[] }; template?: { metadata?: { labels: Record<string, string> } } };
  };
  const spec = job.spec;
  if (!spec || spec.manualSelector === true) return;
  const uid = obj.metadata!.uid;
  const name = obj.metadata!.name;
  spec.selector = { matchLabels: { "batch.kubernetes.io/controller-uid": uid }, matchExpressions: [] };
  const template = (spec.template ??= {});
  template.metadata ??= metaV1.ObjectMeta.fromPartial({});
  template.metadata!.labels = {
    ...template.metadata!.labels,
    "batch.kubernetes.io/controller-uid": uid,
    "batch.kubernetes.io/job-name": name,
    "controller-uid": uid,
    "job-name": name,
  };
}

function emptyStatus(info: KindInfo, _obj: ApiObject): unknown {
  return (info.codec.fromPartial({ status: {} }) as Loose).status;
}

/** Kubernetes' QoS class: Guaranteed when every container's requests equal its limits, BestEffort with none. */
function podQosClass(obj: ApiObject): string {
  type Res = { requests?: Record<string, string>; limits?: Record<string, string> };
  const containers = [
    ...(((obj as Loose).spec as { containers?: { resources?: Res }[] } | undefined)?.containers ?? []),
    ...(((obj as Loose).spec as { initContainers?: { resources?: Res }[] } | undefined)?.initContainers ?? []),
  ];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    if (Object.keys(requests).length || Object.keys(limits).length) any = true;
    for (const r of ["cpu", "memory"]) {
      const limit = limits[r];
      const request = requests[r] ?? limit;
      if (!limit || request !== limit) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

/** Everything but metadata and status: what generation tracks. */
function desired(obj: ApiObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj as Loose;
  return rest;
}

/**
 * A spec write: status stays as stored (for kinds with a status subresource), system metadata
 * stays, and generation moves only when the desired state changed.
 */
export function prepareForUpdate(info: KindInfo, obj: ApiObject, old: ApiObject): void {
  const o = obj as Loose;
  if (info.hasStatus) o.status = (old as Loose).status;
  if (info.resource === "secrets") mergeStringData(obj);
  if (info.resource === "services") dropTypeDependentFields(obj as unknown as Service, old as unknown as Service);
  const meta = obj.metadata!;
  const oldMeta = old.metadata!;
  meta.uid ||= oldMeta.uid;
  meta.creationTimestamp ||= oldMeta.creationTimestamp;
  meta.deletionTimestamp = oldMeta.deletionTimestamp;
  meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
  meta.generation = isDeepStrictEqual(desired(obj), desired(old)) ? oldMeta.generation : oldMeta.generation + 1;
}

const needsClusterIp = (s: ServiceSpec): boolean => s.type !== "ExternalName";
const needsNodePorts = (s: ServiceSpec): boolean => s.type === "NodePort" || s.type === "LoadBalancer";
const needsHealthCheckNodePort = (s: ServiceSpec): boolean => s.type === "LoadBalancer" && s.externalTrafficPolicy === "Local";
// Kubernetes also counts a ClusterIP Service with externalIPs; our validation allows the policy on NodePort and LoadBalancer only.
const externallyAccessible = needsNodePorts;

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The nodePorts as a port/protocol → nodePort bag: equal bags mean the writer did not touch them. */
function nodePortBag(s: ServiceSpec): Map<string, number> {
  return new Map(s.ports.filter((p) => p.nodePort).map((p) => [`${p.protocol}/${p.port}`, p.nodePort]));
}

/**
 * A Service changing type loses what its old type had filled in and its new type forbids, when
 * the writer left it as stored (kube-apiserver's dropTypeDependentFields): clusterIP(s) and IP
 * families on a change to ExternalName, nodePorts and the health-check port when they no longer
 * apply, externalTrafficPolicy off NodePort/LoadBalancer, the load balancer's status off
 * LoadBalancer. So an update that only changes `type` is valid; the registry's address plan then
 * releases the ClusterIP and NodePorts no longer held, in the same etcd transaction.
 */
function dropTypeDependentFields(svc: Service, old: Service): void {
  const spec = svc.spec;
  const was = old.spec;
  if (!spec || !was) return;
  if (needsClusterIp(was) && !needsClusterIp(spec)) {
    if (spec.clusterIp === was.clusterIp && sameList(spec.clusterIps, was.clusterIps)) {
      spec.clusterIp = "";
      spec.clusterIps = [];
    }
    if (sameList(spec.ipFamilies, was.ipFamilies)) spec.ipFamilies = [];
    if (spec.ipFamilyPolicy === was.ipFamilyPolicy) spec.ipFamilyPolicy = undefined;
    if (spec.internalTrafficPolicy === was.internalTrafficPolicy) spec.internalTrafficPolicy = undefined;
  }
  if (needsNodePorts(was) && !needsNodePorts(spec) && isDeepStrictEqual(nodePortBag(spec), nodePortBag(was))) {
    for (const p of spec.ports) p.nodePort = 0;
  }
  if (needsHealthCheckNodePort(was) && !needsHealthCheckNodePort(spec) && spec.healthCheckNodePort === was.healthCheckNodePort) spec.healthCheckNodePort = 0;
  if (was.type === "LoadBalancer" && spec.type !== "LoadBalancer") {
    if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts === was.allocateLoadBalancerNodePorts) spec.allocateLoadBalancerNodePorts = undefined;
    if (spec.loadBalancerClass === was.loadBalancerClass) spec.loadBalancerClass = undefined;
  }
  if (externallyAccessible(was) && !externallyAccessible(spec) && spec.externalTrafficPolicy === was.externalTrafficPolicy) spec.externalTrafficPolicy = "";
  // De-provisioning is asynchronous, but a Service that is no LoadBalancer shows no load balancer (a copy: status is old's).
  if (spec.type !== "LoadBalancer" && svc.status?.loadBalancer) svc.status = { ...svc.status, loadBalancer: undefined };
}

/** A status write: only status changes; spec and metadata are the stored ones. */
export function prepareForStatusUpdate(info: KindInfo, obj: ApiObject, old: ApiObject): ApiObject {
  if (info.resource === "certificatesigningrequests") return prepareCsrStatusUpdate(obj, old);
  const next = info.codec.fromPartial(old) as Loose;
  next.status = (obj as Loose).status;
  // A status writer may not move metadata, but Kubernetes lets it keep its resourceVersion precondition.
  next.metadata!.resourceVersion = obj.metadata?.resourceVersion ?? "";
  return next;
}

/**
 * The grace period a delete gets: the request's, else for a pod bound to a node its own
 * terminationGracePeriodSeconds (the kubelet stops it, then deletes with 0); other objects go at once.
 */
export function deleteGracePeriod(info: KindInfo, obj: ApiObject, requested: number | undefined): number {
  if (info.resource !== "pods") return 0;
  const pod = obj as Loose & { spec?: { nodeName?: string; terminationGracePeriodSeconds?: number }; status?: { phase?: string } };
  if (!pod.spec?.nodeName) return 0;
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return 0;
  const grace = requested ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, grace);
}

/**
 * How long an object of this kind lives after its last write, in seconds, or undefined for
 * "until deleted". Events expire (kube-apiserver's --event-ttl): the store attaches them to a lease.
 */
export function objectTtlSeconds(info: KindInfo, ttl: { eventSeconds: number }): number | undefined {
  return info.resource === "events" && ttl.eventSeconds > 0 ? ttl.eventSeconds : undefined;
}
