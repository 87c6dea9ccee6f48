// Field sets of objects: the fields an object (or an apply configuration) sets, what changed between two versions, and pruning.
import { isDeepStrictEqual } from "node:util";
import { FieldSet, type PathElement } from "./field-set.js";
import { schemaOf, type FieldPlan, type SchemaNode } from "./schema.js";

/**
 * How values are read: `json` is Kubernetes JSON (absent: undefined or null); `typed` is a decoded
 * object, where an implicit-presence scalar's zero value, an empty list and an empty map are absent too.
 */
export type ValueMode = "json" | "typed";

type Obj = Record<string, unknown>;
type StructNode = Extract<SchemaNode, { kind: "struct" }>;

/** Metadata the field manager never tracks (structured-merge-diff's stripped fields). */
const STRIPPED_METADATA = new Set(["name", "namespace", "creationTimestamp", "selfLink", "uid", "generation", "managedFields", "resourceVersion"]);

const roots = new Map<string, StructNode>();

/** A kind's schema without apiVersion, kind and the system metadata fields. */
export function objectSchema(typeName: string): StructNode {
  let root = roots.get(typeName);
  if (!root) {
    const full = schemaOf(typeName);
    if (full.kind !== "struct") throw new Error(`${typeName} is not a message with fields`);
    const fields: FieldPlan[] = [];
    for (const f of full.fields) {
      if (f.json === "apiVersion" || f.json === "kind") continue;
      if (f.json === "metadata" && f.node.kind === "struct") {
        const metaFields = f.node.fields.filter((m) => !STRIPPED_METADATA.has(m.json));
        fields.push({ ...f, node: { kind: "struct", fields: metaFields, byJson: new Map(metaFields.map((m) => [m.json, m])) } });
        continue;
      }
      fields.push(f);
    }
    root = { kind: "struct", fields, byJson: new Map(fields.map((f) => [f.json, f])) };
    roots.set(typeName, root);
  }
  return root;
}

function fieldValue(obj: Obj, f: FieldPlan, mode: ValueMode): unknown {
  const v = obj[mode === "typed" ? f.local : f.json];
  if (v === undefined || v === null) return undefined;
  if (mode === "typed") {
    if (f.implicit && (v === "" || v === 0 || v === false)) return undefined;
    if (Array.isArray(v) && v.length === 0) return undefined;
    if (f.node.kind === "map" && Object.keys(v as Obj).length === 0) return undefined;
  }
  return v;
}

/** The path element of an associative list's element. */
function keyElement(element: unknown, node: Extract<SchemaNode, { kind: "associative" }>, mode: ValueMode): PathElement {
  const value = (element as Obj | null)?.[mode === "typed" ? node.keyLocal : node.key];
  return `k:${JSON.stringify({ [node.key]: value ?? null })}`;
}

const valueElement = (v: unknown): PathElement => `v:${JSON.stringify(v)}`;

/**
 * Adds the field `e` holding `v` to `out`: a leaf is a member; a struct or map adds its fields (an
 * empty one is a member itself, a map also is when `markMaps`); list elements are members with their fields.
 */
function addField(out: FieldSet, e: PathElement, v: unknown, node: SchemaNode, mode: ValueMode, markMaps: boolean): void {
  switch (node.kind) {
    case "leaf":
      out.members.add(e);
      return;
    case "set": {
      const list = v as unknown[];
      if (list.length === 0) out.members.add(e);
      else for (const x of list) out.child(e).members.add(valueElement(x));
      return;
    }
    case "associative": {
      const list = v as unknown[];
      if (list.length === 0) {
        out.members.add(e);
        return;
      }
      const c = out.child(e);
      for (const element of list) {
        const k = keyElement(element, node, mode);
        c.members.add(k);
        const sub = setOf(element as Obj, node.element, mode, markMaps);
        if (!sub.isEmpty()) c.children.set(k, sub);
      }
      return;
    }
    default: {
      const sub = setOf(v as Obj, node, mode, markMaps);
      // An empty map or struct is a field of its own; a decoded struct always has its (default) properties, so only a map can be.
      const empty = sub.isEmpty() && (mode === "json" ? Object.keys(v as Obj).length === 0 : node.kind === "map");
      if (empty || (markMaps && node.kind === "map")) out.members.add(e);
      if (!sub.isEmpty()) out.children.set(e, sub);
    }
  }
}

function setOf(v: Obj, node: SchemaNode, mode: ValueMode, markMaps: boolean): FieldSet {
  const out = new FieldSet();
  if (node.kind === "struct") {
    for (const f of node.fields) {
      const fv = fieldValue(v, f, mode);
      if (fv !== undefined) addField(out, `f:${f.json}`, fv, f.node, mode, markMaps);
    }
  } else if (node.kind === "map") {
    for (const k in v) {
      const mv = v[k];
      if (mv !== undefined && mv !== null) addField(out, `f:${k}`, mv, node.value, mode, markMaps);
    }
  }
  return out;
}

/** The fields an object or apply configuration sets (structured-merge-diff's ToFieldSet), system metadata left out. */
export function fieldSetOf(typeName: string, obj: Obj, mode: ValueMode): FieldSet {
  return setOf(obj, objectSchema(typeName), mode, false);
}

/** What changed from one version of an object to the next. */
export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

const emptyComparison = (): Comparison => ({ added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() });

export function isSame(c: Comparison): boolean {
  return c.added.isEmpty() && c.modified.isEmpty() && c.removed.isEmpty();
}

/**
 * Compares two versions of an object (`old` undefined: a create, all fields added). Fields newly
 * present count as added with everything under them (a granular map and a list element also as
 * members), vanished ones as removed, changed leaves as modified. Walks both objects once.
 */
export function compareObjects(typeName: string, old: Obj | undefined, next: Obj, mode: ValueMode): Comparison {
  const root = objectSchema(typeName);
  if (!old) return { ...emptyComparison(), added: setOf(next, root, mode, true) };
  return compareValues(old, next, root, mode) ?? emptyComparison();
}

/** The comparison of two present struct/map values, or undefined when they are the same. */
function compareValues(a: Obj, b: Obj, node: SchemaNode, mode: ValueMode): Comparison | undefined {
  if (a === b) return undefined;
  const acc: { out: Comparison | undefined } = { out: undefined };
  if (node.kind === "struct") {
    for (const f of node.fields) compareField(acc, `f:${f.json}`, fieldValue(a, f, mode), fieldValue(b, f, mode), f.node, mode);
  } else if (node.kind === "map") {
    for (const k in a) compareField(acc, `f:${k}`, a[k] ?? undefined, b[k] ?? undefined, node.value, mode);
    for (const k in b) if (a[k] === undefined || a[k] === null) compareField(acc, `f:${k}`, undefined, b[k] ?? undefined, node.value, mode);
  }
  return acc.out;
}

/** Adds to `acc` how field `e` changed from `av` to `bv` (either may be absent). */
function compareField(acc: { out: Comparison | undefined }, e: PathElement, av: unknown, bv: unknown, child: SchemaNode, mode: ValueMode): void {
  if (av === bv) return;
  if (av === undefined) return addField((acc.out ??= emptyComparison()).added, e, bv, child, mode, true);
  if (bv === undefined) return addField((acc.out ??= emptyComparison()).removed, e, av, child, mode, true);
  switch (child.kind) {
    case "leaf":
      if (!isDeepStrictEqual(av, bv)) (acc.out ??= emptyComparison()).modified.members.add(e);
      return;
    case "set": {
      const before = new Set((av as unknown[]).map(valueElement));
      const after = new Set((bv as unknown[]).map(valueElement));
      for (const x of after) if (!before.has(x)) (acc.out ??= emptyComparison()).added.child(e).members.add(x);
      for (const x of before) if (!after.has(x)) (acc.out ??= emptyComparison()).removed.child(e).members.add(x);
      return;
    }
    case "associative": {
      const before = new Map<PathElement, Obj>();
      for (const x of av as Obj[]) before.set(keyElement(x, child, mode), x);
      const seen = new Set<PathElement>();
      for (const x of bv as Obj[]) {
        const k = keyElement(x, child, mode);
        seen.add(k);
        const prev = before.get(k);
        if (prev) {
          const c = compareValues(prev, x, child.element, mode);
          if (c) nest((acc.out ??= emptyComparison()), e, k, c);
        } else addElement((acc.out ??= emptyComparison()).added.child(e), k, x, child.element, mode);
      }
      for (const [k, x] of before) if (!seen.has(k)) addElement((acc.out ??= emptyComparison()).removed.child(e), k, x, child.element, mode);
      return;
    }
    default: {
      const c = compareValues(av as Obj, bv as Obj, child, mode);
      if (c) nest((acc.out ??= emptyComparison()), e, undefined, c);
    }
  }
}

/** A list element added or removed as a whole: a member, with its fields under it. */
function addElement(list: FieldSet, k: PathElement, x: Obj, element: SchemaNode, mode: ValueMode): void {
  list.members.add(k);
  const sub = setOf(x, element, mode, true);
  if (!sub.isEmpty()) list.children.set(k, sub);
}

function nest(out: Comparison, e: PathElement, k: PathElement | undefined, c: Comparison): void {
  for (const key of COMPARISON_KEYS) {
    if (c[key].isEmpty()) continue;
    let node = out[key].child(e);
    if (k !== undefined) node = node.child(k);
    mergeInto(node, c[key]);
  }
}

const COMPARISON_KEYS = ["added", "modified", "removed"] as const;

function mergeInto(target: FieldSet, source: FieldSet): void {
  for (const m of source.members) target.members.add(m);
  for (const [e, c] of source.children) mergeInto(target.child(e), c);
}

/**
 * Removes from a Kubernetes JSON object the fields of `remove`, except where `keep` still owns
 * something under a field (then only the unowned parts under it go). Changes `obj` in place.
 */
export function removeFields(typeName: string, obj: Obj, remove: FieldSet, keep: FieldSet): void {
  removeIn(obj, objectSchema(typeName), remove, keep);
}

function removeIn(v: Obj, node: SchemaNode, remove: FieldSet, keep: FieldSet | undefined): void {
  const elements = new Set<PathElement>([...remove.members, ...remove.children.keys()]);
  for (const e of elements) {
    const name = e.slice(2);
    const plan = node.kind === "struct" ? node.byJson.get(name) : undefined;
    const child: SchemaNode | undefined = node.kind === "struct" ? plan?.node : node.kind === "map" ? node.value : undefined;
    if (!child || !e.startsWith("f:")) continue;
    const value = v[name];
    if (value === undefined || value === null) continue;
    const kept = keep?.children.get(e);
    if (remove.members.has(e) && (!kept || kept.isEmpty()) && !keep?.members.has(e)) {
      delete v[name];
      continue;
    }
    const sub = remove.children.get(e);
    if (!sub) continue;
    if (child.kind === "associative" || child.kind === "set") v[name] = removeFromList(value as unknown[], child, sub, kept);
    else if (child.kind === "struct" || child.kind === "map") removeIn(value as Obj, child, sub, kept);
  }
}

function removeFromList(list: unknown[], node: Extract<SchemaNode, { kind: "associative" | "set" }>, remove: FieldSet, keep: FieldSet | undefined): unknown[] {
  if (node.kind === "set") return list.filter((x) => !remove.members.has(valueElement(x)) || !!keep?.members.has(valueElement(x)));
  const out: unknown[] = [];
  for (const element of list) {
    const k = keyElement(element, node, "json");
    const kept = keep?.children.get(k);
    if (remove.members.has(k) && (!kept || kept.isEmpty()) && !keep?.members.has(k)) continue;
    const sub = remove.children.get(k);
    if (sub) removeIn(element as Obj, node.element, sub, kept);
    out.push(element);
  }
  return out;
}
