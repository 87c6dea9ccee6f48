// Field checks shared by every kind's validation: enumerations, counts, IntOrString, quantities, selectors, IPs.
import { isIP } from "node:net";
import { FieldPath, invalid, notSupported, required, type FieldError } from "../field-errors.js";
import type { LabelSelector } from "../gen/kubeplane/meta/v1/meta.js";
import { parseQuantity } from "../quantity.js";
import { ianaSvcNameProblems, labelValueProblems, portNumberProblems, qualifiedNameProblems } from "./names.js";

export const IMMUTABLE = "field is immutable";
export const NONNEGATIVE = "must be greater than or equal to 0";

/** `value` must be one of `allowed`; "" is Required when `mustBeSet`, else allowed. */
export function validateEnum(value: string | undefined, allowed: readonly string[], path: FieldPath, mustBeSet = true): FieldError[] {
  if (value === undefined || value === "") return mustBeSet ? [required(path, "")] : [];
  return allowed.includes(value) ? [] : [notSupported(path, value, allowed)];
}

/** `value`, when set, must be ≥ 0. */
export function validateNonnegative(value: number | undefined, path: FieldPath): FieldError[] {
  return value !== undefined && value < 0 ? [invalid(path, value, NONNEGATIVE)] : [];
}

/** `value`, when set, must be > 0. */
export function validatePositive(value: number | undefined, path: FieldPath): FieldError[] {
  return value !== undefined && value <= 0 ? [invalid(path, value, "must be greater than 0")] : [];
}

/** A port as IntOrString: a digit string 1–65535 or an IANA_SVC_NAME. */
export function validatePortIntOrName(value: string, path: FieldPath): FieldError[] {
  if (value === "") return [required(path, "")];
  const problems = /^-?\d+$/.test(value) ? portNumberProblems(Number(value)) : ianaSvcNameProblems(value);
  return problems.map((p) => invalid(path, value, p));
}

/** An IntOrString count: an integer ≥ 0 or a percentage ("25%"). */
export function validateIntOrPercent(value: string, path: FieldPath): FieldError[] {
  if (/^\d+$/.test(value)) return [];
  if (/^-\d+$/.test(value)) return [invalid(path, value, NONNEGATIVE)];
  if (/^\d+%$/.test(value)) return [];
  return [invalid(path, value, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
}

/** The integer or percentage an IntOrString count stands for, with `total` the 100% base. */
export function intOrPercentValue(value: string, total: number): number {
  if (value.endsWith("%")) return Math.ceil((Number(value.slice(0, -1)) * total) / 100);
  return Number(value || "0");
}

/** A quantity string that must parse. */
export function validateQuantity(value: string, path: FieldPath): FieldError[] {
  try {
    parseQuantity(value);
    return [];
  } catch {
    return [invalid(path, value, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")];
  }
}

/** A map of resource name to quantity (requests, limits, capacity); values must parse and be ≥ 0. */
export function validateResourceList(list: Record<string, string>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, value] of Object.entries(list)) {
    const p = path.key(name);
    for (const problem of qualifiedNameProblems(name)) errs.push(invalid(p, name, problem));
    const q = validateQuantity(value, p);
    if (q.length) errs.push(...q);
    else if (parseQuantity(value).nanos < 0n) errs.push(invalid(p, value, NONNEGATIVE));
  }
  return errs;
}

/** A metav1.LabelSelector: valid label keys and values, operators, and values only for In/NotIn. */
export function validateLabelSelector(sel: LabelSelector | undefined, path: FieldPath): FieldError[] {
  if (!sel) return [];
  const errs = validateLabelMap(sel.matchLabels, path.child("matchLabels"));
  sel.matchExpressions.forEach((expr, i) => {
    const p = path.child("matchExpressions").index(i);
    for (const problem of qualifiedNameProblems(expr.key)) errs.push(invalid(p.child("key"), expr.key, problem));
    if (expr.operator === "In" || expr.operator === "NotIn") {
      if (expr.values.length === 0) errs.push(required(p.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (expr.operator === "Exists" || expr.operator === "DoesNotExist") {
      if (expr.values.length > 0) errs.push(invalid(p.child("values"), expr.values, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(notSupported(p.child("operator"), expr.operator, ["In", "NotIn", "Exists", "DoesNotExist"]));
    }
    expr.values.forEach((v, j) => {
      for (const problem of labelValueProblems(v)) errs.push(invalid(p.child("values").index(j), v, problem));
    });
  });
  return errs;
}

/** Label keys must be qualified names and values valid label values (metadata.labels, nodeSelector, matchLabels). */
export function validateLabelMap(labels: Record<string, string> | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const problem of qualifiedNameProblems(k)) errs.push(invalid(path, k, problem));
    for (const problem of labelValueProblems(v)) errs.push(invalid(path.key(k), v, problem));
  }
  return errs;
}

/** True when the selector has no matchLabels and no matchExpressions. */
export function isEmptySelector(sel: LabelSelector | undefined): boolean {
  return !sel || (Object.keys(sel.matchLabels).length === 0 && sel.matchExpressions.length === 0);
}

/** An IP address (v4 or v6). */
export function validateIp(value: string, path: FieldPath): FieldError[] {
  return isIP(value) === 0 ? [invalid(path, value, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")] : [];
}

/** Structural equality of two generated values (plain data: objects, arrays, scalars). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** `spec.x: Invalid value: …: field is immutable` when the two values differ. */
export function validateImmutable(now: unknown, old: unknown, path: FieldPath): FieldError[] {
  return deepEqual(now, old) ? [] : [invalid(path, now, IMMUTABLE)];
}

export { FieldPath };
