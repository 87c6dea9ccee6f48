// What a ResourceQuota charges for each kind (Kubernetes' quota evaluators): usage per object, scopes, pod constraints.
import type { Pod } from "../gen/kubeplane/core/v1/pod.js";
import type { ResourceQuota } from "../gen/kubeplane/core/v1/resource_quota.js";
import type { Service } from "../gen/kubeplane/core/v1/service.js";
import type { PersistentVolumeClaim } from "../gen/kubeplane/core/v1/volume.js";
import type { ApiObject, KindInfo } from "../kinds.js";
import { podRequestsAndLimits } from "./pod-resources.js";
import type { ResourceList } from "./resource-list.js";

/** The operations whose writes a quota charges. */
export type QuotaOperation = "CREATE" | "UPDATE";

/** One kind's quota accounting. Pure functions over objects; shared by the admission plugin and the controller. */
export interface QuotaEvaluator {
  /** Whether a write with this operation can change the usage (objects are counted on create; some kinds also on update). */
  handles(operation: QuotaOperation): boolean;
  /** Whether the quota resource `name` (`pods`, `requests.cpu`, `count/jobs.batch`) is one this kind is charged for. */
  matchesResource(name: string): boolean;
  /** The object's usage of every resource this kind is charged for. */
  usage(obj: ApiObject): ResourceList;
  /** Whether the object falls in a quota scope (Terminating, BestEffort, PriorityClass, …). */
  matchesScope(scope: ScopeRequirement, obj: ApiObject): boolean;
  /** Why the object cannot be admitted under a quota tracking `required` (pods: every container must state cpu/memory), or undefined. */
  constraints(required: readonly string[], obj: ApiObject): string | undefined;
}

/** A scope as a selector requirement: `scopes: [BestEffort]` is `{scopeName: BestEffort, operator: Exists}`. */
export interface ScopeRequirement {
  readonly scopeName: string;
  readonly operator: string;
  readonly values: readonly string[];
}

/** Every scope of a quota, from spec.scopes and spec.scopeSelector (Kubernetes' getScopeSelectorsFromQuota). */
export function quotaScopes(quota: ResourceQuota): ScopeRequirement[] {
  const scopes: ScopeRequirement[] = (quota.spec?.scopes ?? []).map((scopeName) => ({ scopeName, operator: "Exists", values: [] }));
  for (const req of quota.spec?.scopeSelector?.matchExpressions ?? []) scopes.push(req);
  return scopes;
}

/** `count/<resource>` for core kinds, `count/<resource>.<group>` otherwise. */
export function objectCountName(info: Pick<KindInfo, "group" | "resource">): string {
  return info.group === "" ? `count/${info.resource}` : `count/${info.resource}.${info.group}`;
}

/** The pre-`count/` names Kubernetes still accepts for some core kinds. */
const LEGACY_COUNT_NAMES: Readonly<Record<string, string>> = {
  configmaps: "configmaps",
  secrets: "secrets",
  replicationcontrollers: "replicationcontrollers",
  resourcequotas: "resourcequotas",
  pods: "pods",
  services: "services",
  persistentvolumeclaims: "persistentvolumeclaims",
};

const noScopes = (): boolean => false;
const noConstraints = (): undefined => undefined;

/** Object counts only, charged on create (Kubernetes' generic object count evaluator). */
function countEvaluator(info: Pick<KindInfo, "group" | "resource">): QuotaEvaluator {
  const names = [objectCountName(info), ...(info.group === "" && LEGACY_COUNT_NAMES[info.resource] ? [LEGACY_COUNT_NAMES[info.resource]!] : [])];
  return {
    handles: (op) => op === "CREATE",
    matchesResource: (name) => names.includes(name),
    usage: () => Object.fromEntries(names.map((n) => [n, "1"])),
    matchesScope: noScopes,
    constraints: noConstraints,
  };
}

const POD_COMPUTE = ["cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"];
const POD_RESOURCES = new Set(["pods", "count/pods", ...POD_COMPUTE, "ephemeral-storage", "requests.ephemeral-storage", "limits.ephemeral-storage"]);

function isPodResource(name: string): boolean {
  return POD_RESOURCES.has(name) || name.startsWith("requests.hugepages-") || name.startsWith("hugepages-") || (name.startsWith("requests.") && name.includes("/"));
}

/** Kubernetes' podComputeUsageHelper: quota names for a container's (or the pod's) requests and limits. */
function computeUsage(requests: Readonly<Record<string, string>>, limits: Readonly<Record<string, string>>): ResourceList {
  const usage: ResourceList = {};
  for (const r of ["cpu", "memory", "ephemeral-storage"]) {
    if (requests[r] !== undefined) usage[r] = usage[`requests.${r}`] = requests[r];
    if (limits[r] !== undefined) usage[`limits.${r}`] = limits[r];
  }
  for (const [r, v] of Object.entries(requests)) {
    if (r.startsWith("hugepages-")) usage[r] = usage[`requests.${r}`] = v;
    else if (r.includes("/")) usage[`requests.${r}`] = v;
  }
  return usage;
}

/** Kubernetes' QuotaV1Pod: a pod stops counting once it has finished or is being deleted past its grace period. */
function countsAgainstQuota(pod: Pod): boolean {
  const phase = pod.status?.phase ?? "";
  return phase !== "Succeeded" && phase !== "Failed";
}

function isBestEffort(pod: Pod): boolean {
  const spec = pod.spec;
  if (!spec) return true;
  return [...spec.containers, ...spec.initContainers].every((c) => {
    const has = (list: Readonly<Record<string, string>> | undefined) => list !== undefined && (list.cpu !== undefined || list.memory !== undefined);
    return !has(c.resources?.requests) && !has(c.resources?.limits);
  });
}

const podEvaluator: QuotaEvaluator = {
  handles: (op) => op === "CREATE",
  matchesResource: isPodResource,
  usage(obj) {
    const pod = obj as Pod;
    const usage: ResourceList = { "count/pods": "1" };
    if (!countsAgainstQuota(pod) || !pod.spec) return usage;
    const { requests, limits } = podRequestsAndLimits(pod.spec, true);
    return { ...usage, pods: "1", ...computeUsage(requests, limits) };
  },
  matchesScope(scope, obj) {
    const pod = obj as Pod;
    const terminating = pod.spec?.activeDeadlineSeconds !== undefined && pod.spec.activeDeadlineSeconds >= 0;
    switch (scope.scopeName) {
      case "Terminating":
        return terminating;
      case "NotTerminating":
        return !terminating;
      case "BestEffort":
        return isBestEffort(pod);
      case "NotBestEffort":
        return !isBestEffort(pod);
      case "PriorityClass": {
        const pc = pod.spec?.priorityClassName ?? "";
        if (scope.operator === "Exists") return true;
        if (scope.operator === "DoesNotExist") return pc === "";
        if (scope.operator === "In") return scope.values.includes(pc);
        if (scope.operator === "NotIn") return !scope.values.includes(pc);
        return false;
      }
      default:
        return false;
    }
  },
  constraints(required, obj) {
    const pod = obj as Pod;
    const tracked = required.filter((r) => POD_COMPUTE.includes(r));
    if (tracked.length === 0 || !pod.spec) return undefined;
    const missing = new Map<string, Set<string>>();
    for (const c of [...pod.spec.containers, ...pod.spec.initContainers]) {
      const has = computeUsage(c.resources?.requests ?? {}, c.resources?.limits ?? {});
      for (const r of tracked) if (has[r] === undefined) (missing.get(r) ?? missing.set(r, new Set()).get(r)!).add(c.name);
    }
    if (missing.size === 0) return undefined;
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(",")}`);
    return `must specify ${parts.join("; ")}`;
  },
};

const serviceEvaluator: QuotaEvaluator = {
  handles: (op) => op === "CREATE" || op === "UPDATE",
  matchesResource: (name) => ["services", "count/services", "services.nodeports", "services.loadbalancers"].includes(name),
  usage(obj) {
    const svc = obj as Service;
    const type = svc.spec?.type ?? "ClusterIP";
    const ports = svc.spec?.ports.length ?? 0;
    const usage: ResourceList = { services: "1", "count/services": "1", "services.nodeports": "0", "services.loadbalancers": "0" };
    if (type === "NodePort") usage["services.nodeports"] = String(ports);
    if (type === "LoadBalancer") {
      usage["services.loadbalancers"] = "1";
      if (svc.spec?.allocateLoadBalancerNodePorts !== false) usage["services.nodeports"] = String(ports);
    }
    return usage;
  },
  matchesScope: noScopes,
  constraints: noConstraints,
};

const STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/";

const pvcEvaluator: QuotaEvaluator = {
  handles: (op) => op === "CREATE" || op === "UPDATE",
  matchesResource: (name) =>
    ["persistentvolumeclaims", "count/persistentvolumeclaims", "requests.storage"].includes(name) ||
    (name.includes(STORAGE_CLASS_SUFFIX) && (name.endsWith("/requests.storage") || name.endsWith("/persistentvolumeclaims"))),
  usage(obj) {
    const pvc = obj as PersistentVolumeClaim;
    const usage: ResourceList = { persistentvolumeclaims: "1", "count/persistentvolumeclaims": "1" };
    const storage = pvc.spec?.resources?.requests.storage;
    if (storage !== undefined) usage["requests.storage"] = storage;
    const cls = pvc.spec?.storageClassName ?? "";
    if (cls !== "") {
      usage[`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`] = "1";
      if (storage !== undefined) usage[`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`] = storage;
    }
    return usage;
  },
  matchesScope: noScopes,
  constraints: noConstraints,
};

/** The evaluator for a kind: pods, services and claims have their own; every other kind is counted by `count/…`. */
export function quotaEvaluatorFor(info: Pick<KindInfo, "group" | "resource">): QuotaEvaluator {
  if (info.group === "") {
    if (info.resource === "pods") return podEvaluator;
    if (info.resource === "services") return serviceEvaluator;
    if (info.resource === "persistentvolumeclaims") return pvcEvaluator;
  }
  return countEvaluator(info);
}

/**
 * Whether `quota` applies to `obj` (Kubernetes' quota.Matches): it tracks at least one resource the kind is charged
 * for (in status.hard, i.e. once the controller has seen it) and the object is in every one of its scopes.
 */
export function quotaMatches(quota: ResourceQuota, evaluator: QuotaEvaluator, obj: ApiObject): boolean {
  const tracked = Object.keys(quota.status?.hard ?? {}).some((name) => evaluator.matchesResource(name));
  return tracked && quotaScopes(quota).every((scope) => evaluator.matchesScope(scope, obj));
}
