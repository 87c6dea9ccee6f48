// Per-kind rules of the write path that are not defaulting or validation: what a create resets,
// what a spec or status write may touch, when generation moves (Kubernetes' REST strategies).
import { isDeepStrictEqual } from "node:util";
import { metaV1, type ApiObject, type KindInfo } from "@kubeplane/api";

type Loose = ApiObject & { spec?: unknown; status?: unknown; [field: string]: unknown };

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
  const meta = obj.metadata!;
  const oldMeta = old.metadata!;
  meta.uid ||= oldMeta.uid;
  meta.creationTimestamp ||= oldMeta.creationTimestamp;
  meta.deletionTimestamp = oldMeta.deletionTimestamp;
  meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
  meta.generation = isDeepStrictEqual(desired(obj), desired(old)) ? oldMeta.generation : oldMeta.generation + 1;
}

/** A status write: only status changes; spec and metadata are the stored ones. */
export function prepareForStatusUpdate(info: KindInfo, obj: ApiObject, old: ApiObject): ApiObject {
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
