// Validation of ResourceQuota and LimitRange (Kubernetes' ValidateResourceQuota and ValidateLimitRange).
import { FieldPath, forbidden, invalid, notSupported, required, type FieldError } from "../field-errors.js";
import type { LimitRange, ResourceQuota, ResourceQuotaSpec, ResourceQuotaStatus } from "../gen/kubeplane/core/v1/resource_quota.js";
import { parseQuantity, type Quantity } from "../quantity.js";
import { NONNEGATIVE, validateQuantity } from "./common.js";
import { qualifiedNameProblems } from "./names.js";

/** Kubernetes' standard quota resource names (IsStandardQuotaResourceName), besides `count/…` and extended ones. */
const STANDARD_QUOTA_RESOURCES = new Set([
  "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims",
  "services.nodeports", "services.loadbalancers",
  "cpu", "memory", "ephemeral-storage", "storage",
  "requests.cpu", "requests.memory", "requests.storage", "requests.ephemeral-storage",
  "limits.cpu", "limits.memory", "limits.ephemeral-storage",
]);
/** Quota resources whose values must be whole numbers (Kubernetes' integer resources). */
const INTEGER_QUOTA_RESOURCES = new Set([
  "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims",
  "services.nodeports", "services.loadbalancers",
]);
const QUOTA_SCOPES = ["Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity"] as const;
const SCOPE_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;
const LIMIT_TYPES = ["Pod", "Container", "PersistentVolumeClaim"] as const;

/** Whether `name` is a resource a quota may track: standard, `count/<resource>[.<group>]`, hugepages, extended or a storage class's. */
export function isQuotaResourceName(name: string): boolean {
  if (STANDARD_QUOTA_RESOURCES.has(name) || name.startsWith("count/")) return true;
  if (name.startsWith("hugepages-") || name.startsWith("requests.hugepages-") || name.startsWith("requests.")) return true;
  // Extended resources and `<class>.storageclass.storage.k8s.io/requests.storage` are domain-qualified.
  return name.includes("/");
}

function isIntegerQuotaResource(name: string): boolean {
  return INTEGER_QUOTA_RESOURCES.has(name) || name.startsWith("count/");
}

function validateQuotaResourceList(list: Record<string, string>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, value] of Object.entries(list)) {
    const p = path.key(name);
    const problems = qualifiedNameProblems(name);
    for (const problem of problems) errs.push(invalid(p, name, problem));
    if (problems.length === 0 && !isQuotaResourceName(name)) errs.push(invalid(p, name, "must be a standard resource for quota"));
    const bad = validateQuantity(value, p);
    if (bad.length) {
      errs.push(...bad);
      continue;
    }
    const q = parseQuantity(value);
    if (q.nanos < 0n) errs.push(invalid(p, value, NONNEGATIVE));
    else if (isIntegerQuotaResource(name) && q.nanos % 1_000_000_000n !== 0n) errs.push(invalid(p, value, "must be an integer"));
  }
  return errs;
}

function validateQuotaSpec(spec: ResourceQuotaSpec | undefined, path: FieldPath): FieldError[] {
  if (!spec) return [];
  const errs = validateQuotaResourceList(spec.hard, path.child("hard"));
  const scopes = new Set<string>();
  spec.scopes.forEach((scope, i) => {
    if (!(QUOTA_SCOPES as readonly string[]).includes(scope)) errs.push(notSupported(path.child("scopes").index(i), scope, QUOTA_SCOPES));
    scopes.add(scope);
  });
  spec.scopeSelector?.matchExpressions.forEach((req, i) => {
    const p = path.child("scopeSelector").child("matchExpressions").index(i);
    if (!(QUOTA_SCOPES as readonly string[]).includes(req.scopeName)) errs.push(notSupported(p.child("scopeName"), req.scopeName, QUOTA_SCOPES));
    if (!(SCOPE_OPERATORS as readonly string[]).includes(req.operator)) errs.push(notSupported(p.child("operator"), req.operator, SCOPE_OPERATORS));
    const listOperator = req.operator === "In" || req.operator === "NotIn";
    if (listOperator && req.values.length === 0) errs.push(required(p.child("values"), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
    if (!listOperator && req.values.length > 0) errs.push(invalid(p.child("values"), req.values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
    scopes.add(req.scopeName);
  });
  for (const [a, b] of [["BestEffort", "NotBestEffort"], ["Terminating", "NotTerminating"]] as const) {
    if (scopes.has(a) && scopes.has(b)) errs.push(invalid(path.child("scopes"), [...scopes], "conflicting scopes"));
  }
  return errs;
}

function validateQuotaStatus(status: ResourceQuotaStatus | undefined, path: FieldPath): FieldError[] {
  if (!status) return [];
  return [...validateQuotaResourceList(status.hard, path.child("hard")), ...validateQuotaResourceList(status.used, path.child("used"))];
}

/** A ResourceQuota: known resource names with non-negative (integer where counted) values, known and consistent scopes. */
export function validateResourceQuota(quota: ResourceQuota): FieldError[] {
  return [...validateQuotaSpec(quota.spec, FieldPath.root("spec")), ...validateQuotaStatus(quota.status, FieldPath.root("status"))];
}

/** Kubernetes' validateLimitRangeResourceName: PersistentVolumeClaim limits only storage; others qualified names. */
function validateLimitResourceName(type: string, name: string, path: FieldPath): FieldError[] {
  if (type === "PersistentVolumeClaim" && name !== "storage") return [notSupported(path, name, ["storage"])];
  return qualifiedNameProblems(name).map((p) => invalid(path, name, p));
}

function quantities(list: Record<string, string>, type: string, path: FieldPath, errs: FieldError[], keys: Set<string>): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  for (const [name, value] of Object.entries(list)) {
    const p = path.key(name);
    errs.push(...validateLimitResourceName(type, name, p));
    const bad = validateQuantity(value, p);
    if (bad.length) {
      errs.push(...bad);
      continue;
    }
    keys.add(name);
    out.set(name, parseQuantity(value));
  }
  return out;
}

/** Kubernetes' IsOvercommitAllowed: every native resource but hugepages; extended (domain-qualified) ones are not. */
function overcommitAllowed(name: string): boolean {
  if (name.startsWith("hugepages-")) return false;
  return !name.includes("/") || name.startsWith("kubernetes.io/");
}

/** A LimitRange: known types, parseable quantities, and min ≤ defaultRequest ≤ default ≤ max, ratio ≥ 1 and ≤ max/min. */
export function validateLimitRange(lr: LimitRange): FieldError[] {
  const errs: FieldError[] = [];
  const limitsPath = FieldPath.root("spec").child("limits");
  const seenTypes = new Set<string>();
  (lr.spec?.limits ?? []).forEach((item, i) => {
    const p = limitsPath.index(i);
    if (item.type === "") errs.push(required(p.child("type"), ""));
    else if (!(LIMIT_TYPES as readonly string[]).includes(item.type) && qualifiedNameProblems(item.type).length > 0) {
      errs.push(notSupported(p.child("type"), item.type, LIMIT_TYPES));
    }
    if (seenTypes.has(item.type)) errs.push(invalid(p.child("type"), item.type, "duplicate limit type"));
    seenTypes.add(item.type);
    const keys = new Set<string>();
    const max = quantities(item.max, item.type, p.child("max"), errs, keys);
    const min = quantities(item.min, item.type, p.child("min"), errs, keys);
    let def = new Map<string, Quantity>();
    let defReq = new Map<string, Quantity>();
    if (item.type === "Pod") {
      if (Object.keys(item.default).length > 0) errs.push(forbidden(p.child("default"), "may not be specified when `type` is 'Pod'"));
      if (Object.keys(item.defaultRequest).length > 0) errs.push(forbidden(p.child("defaultRequest"), "may not be specified when `type` is 'Pod'"));
    } else {
      def = quantities(item.default, item.type, p.child("default"), errs, keys);
      defReq = quantities(item.defaultRequest, item.type, p.child("defaultRequest"), errs, keys);
    }
    if (item.type === "PersistentVolumeClaim" && !("storage" in item.min) && !("storage" in item.max)) {
      errs.push(required(p.child("limits"), "either minimum or maximum storage value is required, but neither was provided"));
    }
    const ratios = quantities(item.maxLimitRequestRatio, item.type, p.child("maxLimitRequestRatio"), errs, keys);
    for (const k of [...keys].sort()) {
      const [mn, mx, d, dr, ratio] = [min.get(k), max.get(k), def.get(k), defReq.get(k), ratios.get(k)];
      if (mn && mx && mn.cmp(mx) > 0) errs.push(invalid(p.child("min").key(k), mn.toString(), `min value ${mn} is greater than max value ${mx}`));
      if (dr && mn && mn.cmp(dr) > 0) errs.push(invalid(p.child("defaultRequest").key(k), dr.toString(), `min value ${mn} is greater than default request value ${dr}`));
      if (dr && mx && dr.cmp(mx) > 0) errs.push(invalid(p.child("defaultRequest").key(k), dr.toString(), `default request value ${dr} is greater than max value ${mx}`));
      if (dr && d && dr.cmp(d) > 0) errs.push(invalid(p.child("defaultRequest").key(k), dr.toString(), `default request value ${dr} is greater than default limit value ${d}`));
      if (d && mn && mn.cmp(d) > 0) errs.push(invalid(p.child("default").key(k), mn.toString(), `min value ${mn} is greater than default value ${d}`));
      if (d && mx && d.cmp(mx) > 0) errs.push(invalid(p.child("default").key(k), mx.toString(), `default value ${d} is greater than max value ${mx}`));
      if (ratio && ratio.cmp(parseQuantity("1")) < 0) errs.push(invalid(p.child("maxLimitRequestRatio").key(k), ratio.toString(), `ratio ${ratio} is less than 1`));
      if (ratio && mn && mx && !mn.isZero()) {
        const limit = Number(mx.nanos) / Number(mn.nanos);
        if (Number(ratio.nanos) / 1e9 > limit) {
          errs.push(invalid(p.child("maxLimitRequestRatio").key(k), ratio.toString(), `ratio ${ratio} is greater than max/min = ${limit.toFixed(6)}`));
        }
      }
      if (!overcommitAllowed(k) && d && dr && d.cmp(dr) !== 0) {
        errs.push(invalid(p.child("defaultRequest").key(k), dr.toString(), `default value ${d} must equal to defaultRequest value ${dr} in ${k}`));
      }
    }
  });
  return errs;
}
