// The LimitRanger admission plugin (Kubernetes' LimitRanger): LimitRange defaults applied to containers, and the
// min, max and limit/request ratio of Container, Pod and PersistentVolumeClaim items enforced.
import { apiErrors, kindFor, parseQuantity, podRequestsAndLimits, type ApiObject, type coreV1Pod, type coreV1ResourceQuota, type coreV1Volume, type KindInfo, type Quantity } from "@kubeplane/api";
import type { AdmissionAttributes, AdmissionStore, MutatingAdmissionPlugin, ValidatingAdmissionPlugin } from "../interfaces.js";
import type { ObjectCache } from "./object-cache.js";

/** The annotation that records which defaults LimitRanger set (Kubernetes' kubernetes.io/limit-ranger). */
export const LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger";

/** LimitRange, for store reads and the cache plugins.ts builds. */
export const limitRangeKind = kindFor("v1", "LimitRange") as KindInfo<coreV1ResourceQuota.LimitRange>;
type ResourceList = Readonly<Record<string, string>>;

/** Kubernetes compares at milli precision (its int64 MilliValue); bigint makes that exact at any size. */
const milli = (q: Quantity): bigint => q.milliValue();

function minConstraint(type: string, resource: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests[resource];
  const lim = limits[resource];
  if (req === undefined) return `minimum ${resource} usage per ${type} is ${enforced}.  No request is specified`;
  const r = parseQuantity(req);
  if (milli(r) < milli(enforced)) return `minimum ${resource} usage per ${type} is ${enforced}, but request is ${r}`;
  if (lim !== undefined && milli(parseQuantity(lim)) < milli(enforced)) return `minimum ${resource} usage per ${type} is ${enforced}, but limit is ${parseQuantity(lim)}`;
  return undefined;
}

function maxConstraint(type: string, resource: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests[resource];
  const lim = limits[resource];
  if (lim === undefined) return `maximum ${resource} usage per ${type} is ${enforced}.  No limit is specified`;
  const l = parseQuantity(lim);
  if (milli(l) > milli(enforced)) return `maximum ${resource} usage per ${type} is ${enforced}, but limit is ${l}`;
  if (req !== undefined && milli(parseQuantity(req)) > milli(enforced)) return `maximum ${resource} usage per ${type} is ${enforced}, but request is ${parseQuantity(req)}`;
  return undefined;
}

/** The max of a PersistentVolumeClaim item bounds what the claim requests (claims have no limits). */
function maxRequestConstraint(type: string, resource: string, enforced: Quantity, requests: ResourceList): string | undefined {
  const req = requests[resource];
  if (req === undefined) return `maximum ${resource} usage per ${type} is ${enforced}.  No request is specified`;
  const r = parseQuantity(req);
  return milli(r) > milli(enforced) ? `maximum ${resource} usage per ${type} is ${enforced}, but request is ${r}` : undefined;
}

function ratioConstraint(type: string, resource: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests[resource] === undefined ? 0n : milli(parseQuantity(requests[resource]));
  const lim = limits[resource] === undefined ? 0n : milli(parseQuantity(limits[resource]));
  if (req === 0n) return `${resource} max limit to request ratio per ${type} is ${enforced}, but no request is specified or request is 0`;
  if (lim === 0n) return `${resource} max limit to request ratio per ${type} is ${enforced}, but no limit is specified or limit is 0`;
  const observed = Number(lim) / Number(req);
  if (observed * 1000 > Number(milli(enforced))) {
    return `${resource} max limit to request ratio per ${type} is ${enforced}, but provided ratio is ${observed.toFixed(6)}`;
  }
  return undefined;
}

/** Every item's constraints of one kind of bound, over sorted resource names (Kubernetes ranges over a map). */
function each(bounds: ResourceList, check: (resource: string, enforced: Quantity) => string | undefined, errs: string[]): void {
  for (const resource of Object.keys(bounds).sort()) {
    const problem = check(resource, parseQuantity(bounds[resource]!));
    if (problem) errs.push(problem);
  }
}

function containerProblems(item: coreV1ResourceQuota.LimitRangeItem, c: coreV1Pod.Container, errs: string[]): void {
  const requests = c.resources?.requests ?? {};
  const limits = c.resources?.limits ?? {};
  each(item.min, (r, q) => minConstraint(item.type, r, q, requests, limits), errs);
  each(item.max, (r, q) => maxConstraint(item.type, r, q, requests, limits), errs);
  each(item.maxLimitRequestRatio, (r, q) => ratioConstraint(item.type, r, q, requests, limits), errs);
}

/** Kubernetes' PodValidateLimitFunc: Container items per container and init container, Pod items over the pod's effective resources. */
export function podLimitProblems(lr: coreV1ResourceQuota.LimitRange, pod: coreV1Pod.Pod): string[] {
  const errs: string[] = [];
  const spec = pod.spec;
  if (!spec) return errs;
  for (const item of lr.spec?.limits ?? []) {
    if (item.type === "Container") {
      for (const c of spec.containers) containerProblems(item, c, errs);
      for (const c of spec.initContainers) containerProblems(item, c, errs);
    } else if (item.type === "Pod") {
      const { requests, limits } = podRequestsAndLimits(spec);
      each(item.min, (r, q) => minConstraint(item.type, r, q, requests, limits), errs);
      each(item.max, (r, q) => maxConstraint(item.type, r, q, requests, limits), errs);
      each(item.maxLimitRequestRatio, (r, q) => ratioConstraint(item.type, r, q, requests, limits), errs);
    }
  }
  return errs;
}

/** Kubernetes' PersistentVolumeClaimValidateLimitFunc: min and max bound the claim's requests. */
export function pvcLimitProblems(lr: coreV1ResourceQuota.LimitRange, pvc: coreV1Volume.PersistentVolumeClaim): string[] {
  const errs: string[] = [];
  const requests = pvc.spec?.resources?.requests ?? {};
  for (const item of lr.spec?.limits ?? []) {
    if (item.type !== "PersistentVolumeClaim") continue;
    each(item.min, (r, q) => minConstraint(item.type, r, q, requests, {}), errs);
    each(item.max, (r, q) => maxRequestConstraint(item.type, r, q, requests), errs);
  }
  return errs;
}

/** Kubernetes' PodMutateLimitFunc: each Container item's default limits and requests fill what a container leaves unset. */
export function applyLimitRangeDefaults(lr: coreV1ResourceQuota.LimitRange, pod: coreV1Pod.Pod): void {
  const spec = pod.spec;
  if (!spec) return;
  const defaultLimits: Record<string, string> = {};
  const defaultRequests: Record<string, string> = {};
  for (const item of lr.spec?.limits ?? []) {
    if (item.type !== "Container") continue;
    Object.assign(defaultRequests, item.defaultRequest);
    Object.assign(defaultLimits, item.default);
  }
  const notes: string[] = [];
  const merge = (c: coreV1Pod.Container, what: string) => {
    const resources = (c.resources ??= { limits: {}, requests: {}, claims: [] });
    const setLimits = Object.keys(defaultLimits).filter((k) => resources.limits[k] === undefined).sort();
    const setRequests = Object.keys(defaultRequests).filter((k) => resources.requests[k] === undefined).sort();
    for (const k of setLimits) resources.limits[k] = defaultLimits[k]!;
    for (const k of setRequests) resources.requests[k] = defaultRequests[k]!;
    if (setRequests.length) notes.push(`${setRequests.join(", ")} request for ${what} ${c.name}`);
    if (setLimits.length) notes.push(`${setLimits.join(", ")} limit for ${what} ${c.name}`);
  };
  for (const c of spec.containers) merge(c, "container");
  for (const c of spec.initContainers) merge(c, "init container");
  if (notes.length && pod.metadata) pod.metadata.annotations[LIMIT_RANGER_ANNOTATION] = `LimitRanger plugin set: ${notes.join("; ")}`;
}

/** utilerrors.NewAggregate's wording: one message alone, several in brackets. */
function aggregate(errs: readonly string[]): string {
  return errs.length === 1 ? errs[0]! : `[${errs.join(", ")}]`;
}

/**
 * LimitRanger: mutating (defaults from the namespace's LimitRanges onto pod containers, recorded in the
 * kubernetes.io/limit-ranger annotation) and validating (every LimitRange's bounds on pods and claims; a breach is
 * Forbidden with Kubernetes' messages). Pod creates and PersistentVolumeClaim creates and updates only: a pod's
 * containers cannot change after creation. Reads the namespace's LimitRanges from its cache when it has one and
 * the cache is watching, else through the AdmissionStore.
 */
export class LimitRanger implements MutatingAdmissionPlugin, ValidatingAdmissionPlugin {
  readonly name = "LimitRanger";

  /** `cache`, when given, answers the namespace's LimitRanges (milliseconds stale at most) instead of a store read. */
  constructor(private readonly cache?: ObjectCache<coreV1ResourceQuota.LimitRange>) {}

  run(signal: AbortSignal): Promise<void> {
    return this.cache?.run(signal) ?? Promise.resolve();
  }

  private async limitRanges(namespace: string, store: AdmissionStore): Promise<coreV1ResourceQuota.LimitRange[]> {
    return this.cache?.list(namespace) ?? (await store.list(limitRangeKind, namespace));
  }

  handles(attrs: AdmissionAttributes): boolean {
    if (attrs.subresource !== "" || attrs.info.group !== "") return false;
    if (attrs.info.resource === "pods") return attrs.operation === "CREATE";
    return attrs.info.resource === "persistentvolumeclaims" && (attrs.operation === "CREATE" || attrs.operation === "UPDATE");
  }

  async admit(attrs: AdmissionAttributes, store: AdmissionStore): Promise<void> {
    if (attrs.info.resource !== "pods" || !attrs.object) return;
    for (const lr of await this.limitRanges(attrs.namespace, store)) applyLimitRangeDefaults(lr, attrs.object as coreV1Pod.Pod);
  }

  async validate(attrs: AdmissionAttributes, store: AdmissionStore): Promise<void> {
    const obj = attrs.object;
    if (!obj) return;
    for (const lr of await this.limitRanges(attrs.namespace, store)) {
      const errs = attrs.info.resource === "pods" ? podLimitProblems(lr, obj as coreV1Pod.Pod) : pvcLimitProblems(lr, obj as coreV1Volume.PersistentVolumeClaim);
      if (errs.length) throw apiErrors.forbidden({ resource: attrs.info.resource, name: nameOf(attrs, obj) }, aggregate(errs));
    }
  }
}

function nameOf(attrs: AdmissionAttributes, obj: ApiObject): string {
  return attrs.name || obj.metadata?.name || obj.metadata?.generateName || "Unknown";
}
