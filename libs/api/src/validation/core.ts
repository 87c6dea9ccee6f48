// Validation of the small kinds: Namespace, ConfigMap, Secret, ServiceAccount, Node, Event, Lease, PriorityClass.
import { FieldPath, duplicate, forbidden, invalid, required, tooLong, type FieldError } from "../field-errors.js";
import type { Lease } from "../gen/kubeplane/coordination/v1/lease.js";
import type { ConfigMap, Namespace, Secret } from "../gen/kubeplane/core/v1/config.js";
import type { Event } from "../gen/kubeplane/core/v1/event.js";
import type { Node } from "../gen/kubeplane/core/v1/node.js";
import type { PriorityClass } from "../gen/kubeplane/scheduling/v1/priority_class.js";
import { deepEqual, validateEnum, validateNonnegative } from "./common.js";
import { configKeyProblems, qualifiedNameProblems } from "./names.js";
import { TAINT_EFFECTS } from "./pod-scheduling.js";
import { validateFinalizers } from "./object-meta.js";

/** Kubernetes' MaxSecretSize, also the ConfigMap limit. */
export const MAX_DATA_SIZE = 1024 * 1024;
/** User priority classes may not exceed HighestUserDefinablePriority. */
const HIGHEST_USER_PRIORITY = 1_000_000_000;
const IMMUTABLE_SET = "field is immutable when `immutable` is set";

/** A Namespace: spec.finalizers are qualified names. */
export function validateNamespace(ns: Namespace): FieldError[] {
  return validateFinalizers(ns.spec?.finalizers ?? [], FieldPath.root("spec").child("finalizers"));
}

function validateKeys(map: Record<string, string>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of Object.keys(map)) for (const problem of configKeyProblems(k)) errs.push(invalid(path, k, problem));
  return errs;
}

/** A ConfigMap: valid keys, none in both data and binaryData, at most 1 MiB. */
export function validateConfigMap(cm: ConfigMap): FieldError[] {
  const errs = [...validateKeys(cm.data, FieldPath.root("data")), ...validateKeys(cm.binaryData, FieldPath.root("binaryData"))];
  let size = 0;
  for (const [k, v] of Object.entries(cm.data)) size += Buffer.byteLength(k) + Buffer.byteLength(v);
  for (const [k, v] of Object.entries(cm.binaryData)) {
    if (k in cm.data) errs.push(invalid(FieldPath.root("binaryData").key(k), k, "duplicate of key present in data"));
    size += Buffer.byteLength(k) + Buffer.from(v, "base64").length;
  }
  if (size > MAX_DATA_SIZE) errs.push(tooLong(FieldPath.root(""), MAX_DATA_SIZE));
  return errs;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A Secret: valid keys, base64 values, at most 1 MiB decoded, and the keys its type requires. */
export function validateSecret(secret: Secret): FieldError[] {
  const data = FieldPath.root("data");
  const errs = [...validateKeys(secret.data, data), ...validateKeys(secret.stringData, FieldPath.root("stringData"))];
  let size = 0;
  for (const [k, v] of Object.entries(secret.data)) {
    if (!BASE64.test(v)) errs.push(invalid(data.key(k), "<secret contents redacted>", "must be base64-encoded"));
    size += Buffer.from(v, "base64").length;
  }
  for (const v of Object.values(secret.stringData)) size += Buffer.byteLength(v);
  if (size > MAX_DATA_SIZE) errs.push(tooLong(data, MAX_DATA_SIZE));
  const has = (key: string) => key in secret.data || key in secret.stringData;
  switch (secret.type) {
    case "kubernetes.io/tls":
      for (const key of ["tls.crt", "tls.key"]) if (!has(key)) errs.push(required(data.key(key), ""));
      break;
    case "kubernetes.io/service-account-token":
      if (!secret.metadata?.annotations["kubernetes.io/service-account.name"]) {
        errs.push(required(FieldPath.root("metadata").child("annotations").key("kubernetes.io/service-account.name"), ""));
      }
      break;
    case "kubernetes.io/dockerconfigjson":
      if (!has(".dockerconfigjson")) errs.push(required(data.key(".dockerconfigjson"), ""));
      break;
    case "kubernetes.io/basic-auth":
      if (!has("username") && !has("password")) errs.push(required(data.key("username"), ""), required(data.key("password"), ""));
      break;
    default:
  }
  return errs;
}

/** A Secret or ConfigMap update: data immutable once `immutable: true`; a Secret's type never changes. */
export function validateImmutableData(now: Secret | ConfigMap, old: Secret | ConfigMap): FieldError[] {
  const errs: FieldError[] = [];
  if ("type" in now && "type" in old && now.type !== old.type) errs.push(invalid(FieldPath.root("type"), now.type, "field is immutable"));
  if (old.immutable !== true) return errs;
  if (now.immutable !== true) errs.push(forbidden(FieldPath.root("immutable"), IMMUTABLE_SET));
  if (!deepEqual(now.data, old.data)) errs.push(forbidden(FieldPath.root("data"), IMMUTABLE_SET));
  if ("binaryData" in now && "binaryData" in old && !deepEqual(now.binaryData, old.binaryData)) errs.push(forbidden(FieldPath.root("binaryData"), IMMUTABLE_SET));
  return errs;
}

/** A Node: taints with qualified keys, required effects and unique (key, effect). */
export function validateNode(node: Node): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (node.spec?.taints ?? []).forEach((t, i) => {
    const p = FieldPath.root("spec").child("taints").index(i);
    if (t.key === "") errs.push(required(p.child("key"), ""));
    else for (const problem of qualifiedNameProblems(t.key)) errs.push(invalid(p.child("key"), t.key, problem));
    errs.push(...validateEnum(t.effect, TAINT_EFFECTS, p.child("effect")));
    const key = `${t.key}:${t.effect}`;
    if (seen.has(key)) errs.push(duplicate(p, `${t.key}:${t.effect}`));
    seen.add(key);
  });
  return errs;
}

/** An Event: involvedObject required, type Normal/Warning when set. */
export function validateEvent(ev: Event): FieldError[] {
  const errs: FieldError[] = [];
  if (!ev.involvedObject) errs.push(required(FieldPath.root("involvedObject"), ""));
  else if (ev.involvedObject.namespace !== "" && ev.metadata && ev.metadata.namespace !== ev.involvedObject.namespace) {
    errs.push(invalid(FieldPath.root("involvedObject").child("namespace"), ev.involvedObject.namespace, "does not match event.namespace"));
  }
  errs.push(...validateEnum(ev.type, ["Normal", "Warning"], FieldPath.root("type"), false));
  errs.push(...validateNonnegative(ev.count, FieldPath.root("count")));
  return errs;
}

/** A Lease: durations and transitions ≥ 0 (leaseDurationSeconds > 0). */
export function validateLease(lease: Lease): FieldError[] {
  const spec = FieldPath.root("spec");
  const d = lease.spec?.leaseDurationSeconds;
  const errs = d !== undefined && d <= 0 ? [invalid(spec.child("leaseDurationSeconds"), d, "must be greater than 0")] : [];
  errs.push(...validateNonnegative(lease.spec?.leaseTransitions, spec.child("leaseTransitions")));
  return errs;
}

/** A PriorityClass: value at most 1e9 unless a system class, preemption policy valid; value and policy immutable. */
export function validatePriorityClass(pc: PriorityClass, old?: PriorityClass): FieldError[] {
  const errs: FieldError[] = [];
  const value = pc.value ?? 0;
  const system = (pc.metadata?.name ?? "").startsWith("system-");
  if (!system && value > HIGHEST_USER_PRIORITY) errs.push(forbidden(FieldPath.root("value"), `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`));
  errs.push(...validateEnum(pc.preemptionPolicy, ["PreemptLowerPriority", "Never"], FieldPath.root("preemptionPolicy"), false));
  if (old) {
    if ((old.value ?? 0) !== value) errs.push(forbidden(FieldPath.root("value"), "may not be changed in an update."));
    if (old.preemptionPolicy !== pc.preemptionPolicy) errs.push(invalid(FieldPath.root("preemptionPolicy"), pc.preemptionPolicy, "field is immutable"));
  }
  return errs;
}
