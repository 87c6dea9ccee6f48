// Arithmetic on resource lists (name → quantity), as Kubernetes' quota helpers: add, subtract, compare, mask, print.
import { parseQuantity, type Quantity } from "../quantity.js";

/** A resource name → quantity string map, as in ResourceQuota's hard and used. */
export type ResourceList = Record<string, string>;

function q(text: string | undefined): Quantity {
  return parseQuantity(text ?? "0");
}

/** a + b for every name in either. */
export function addResources(a: Readonly<ResourceList>, b: Readonly<ResourceList>): ResourceList {
  const out: ResourceList = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = q(a[k]).add(q(v)).toString();
  return out;
}

/** a − b for every name in either, never below zero (Kubernetes' SubtractWithNonNegativeResult). */
export function subtractNonNegative(a: Readonly<ResourceList>, b: Readonly<ResourceList>): ResourceList {
  const out: ResourceList = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = q(a[k]).sub(q(b[k]));
    out[k] = d.nanos < 0n ? "0" : d.toString();
  }
  return out;
}

/** Only the entries of `list` named in `names`. */
export function maskResources(list: Readonly<ResourceList>, names: Iterable<string>): ResourceList {
  const out: ResourceList = {};
  for (const k of names) if (list[k] !== undefined) out[k] = list[k];
  return out;
}

/** The names in `a` whose value exceeds `b`'s (only names `b` has count); empty when a ≤ b. */
export function exceededResources(a: Readonly<ResourceList>, b: Readonly<ResourceList>): string[] {
  return Object.keys(a).filter((k) => b[k] !== undefined && q(a[k]).cmp(q(b[k])) > 0).sort();
}

/** Whether two lists hold equal quantities for the same names (formats aside). */
export function resourcesEqual(a: Readonly<ResourceList>, b: Readonly<ResourceList>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (a[k] === undefined || b[k] === undefined || q(a[k]).cmp(q(b[k])) !== 0) return false;
  return true;
}

/** Whether every quantity in the list is zero. */
export function isZeroResources(list: Readonly<ResourceList>): boolean {
  return Object.values(list).every((v) => q(v).isZero());
}

/** `cpu=1,pods=2`: sorted `name=quantity` pairs, as Kubernetes' quota messages print them. */
export function prettyPrintResources(list: Readonly<ResourceList>): string {
  return Object.keys(list)
    .sort()
    .map((k) => `${k}=${q(list[k]).toString()}`)
    .join(",");
}
