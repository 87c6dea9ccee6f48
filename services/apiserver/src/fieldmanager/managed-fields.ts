// metadata.managedFields: decoding and encoding the entries, the Update and Apply operations' ownership rules, the cap on Update entries.
import { apiErrors, type ApiError } from "@kubeplane/api";
import { FieldSet, FieldsV1Error, pathString } from "./field-set.js";

export type Operation = "Apply" | "Update";

/** One manager's fields (an entry of metadata.managedFields, decoded). */
export interface ManagerEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  time: string;
  subresource: string;
  set: FieldSet;
}

/** The entries by manager identity (manager, operation, subresource; and apiVersion for Update). */
export type Managers = Map<string, ManagerEntry>;

/** An entry as ObjectMeta holds it: fieldsV1 is its JSON text in decoded objects, the object itself in Kubernetes JSON. */
export interface ManagedFieldsEntryLike {
  manager: string;
  operation: string;
  apiVersion: string;
  time: string;
  fieldsType: string;
  fieldsV1?: string | Record<string, unknown> | undefined;
  subresource: string;
}

/** Which form entries are written in: `typed` (fieldsV1 as text, for decoded objects) or `json`. */
export type EntryForm = "typed" | "json";

/** An entry's FieldsV1 as an object (parsing the text form); throws ManagedFieldsError for text that is not JSON. */
export function fieldsV1Of(e: ManagedFieldsEntryLike): Record<string, unknown> {
  const f = e.fieldsV1;
  if (f === undefined || f === "") return {};
  if (typeof f !== "string") return f;
  try {
    return JSON.parse(f) as Record<string, unknown>;
  } catch (err) {
    throw new ManagedFieldsError("fieldsV1 is not JSON", { cause: err });
  }
}

const fieldsV1In = (set: FieldSet, form: EntryForm): string | Record<string, unknown> => (form === "typed" ? JSON.stringify(set.toFieldsV1()) : set.toFieldsV1());

/** managedFields that do not decode: a wrong operation, fieldsType or FieldsV1. */
export class ManagedFieldsError extends Error {
  override readonly name = "ManagedFieldsError";
  readonly code = "EMANAGEDFIELDS";
}

/** Kubernetes' cap on Update entries; older ones are merged into "ancient-changes" per apiVersion. */
export const MAX_UPDATE_MANAGERS = 10;
export const ANCIENT_CHANGES_MANAGER = "ancient-changes";

/** The identity entries merge by (BuildManagerIdentifier): an applier keeps one entry across apiVersions. */
export function managerIdentity(e: { manager: string; operation: string; apiVersion: string; subresource: string }): string {
  return JSON.stringify({
    manager: e.manager,
    operation: e.operation,
    ...(e.operation === "Update" && e.apiVersion ? { apiVersion: e.apiVersion } : {}),
    ...(e.subresource ? { subresource: e.subresource } : {}),
  });
}

/** Decodes entries; throws ManagedFieldsError when one is invalid (the caller falls back to the live object's). */
export function decodeManagedFields(entries: readonly ManagedFieldsEntryLike[]): Managers {
  const managers: Managers = new Map();
  entries.forEach((e, i) => {
    if (e.operation !== "Apply" && e.operation !== "Update") throw new ManagedFieldsError("operation must be `Apply` or `Update`");
    if (!e.apiVersion) throw new ManagedFieldsError("apiVersion must not be empty");
    if (e.fieldsType !== "FieldsV1") throw new ManagedFieldsError(e.fieldsType ? `invalid fieldsType "${e.fieldsType}" in managed fields entry ${i}` : `missing fieldsType in managed fields entry ${i}`);
    let set: FieldSet;
    try {
      set = FieldSet.fromFieldsV1(fieldsV1Of(e));
    } catch (err) {
      if (err instanceof FieldsV1Error) throw new ManagedFieldsError(`error decoding the fields of managed fields entry ${i}: ${err.message}`, { cause: err });
      throw err;
    }
    const id = managerIdentity(e);
    const prev = managers.get(id);
    managers.set(id, { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, time: e.time, subresource: e.subresource, set: prev ? prev.set.union(set) : set });
  });
  return managers;
}

/** The live object's managers, or none when they do not decode (a corrupt entry is dropped, never an error). */
export function decodeOrEmpty(entries: readonly ManagedFieldsEntryLike[] | undefined): Managers {
  try {
    return decodeManagedFields(entries ?? []);
  } catch (err) {
    if (err instanceof ManagedFieldsError) return new Map();
    throw err;
  }
}

/** Whether a request asks to clear managedFields: one entry with nothing set (`[{}]`; REST turns `[]` into it). */
export function isResetRequest(entries: readonly ManagedFieldsEntryLike[] | undefined): boolean {
  if (entries?.length !== 1) return false;
  const e = entries[0]!;
  const f = e.fieldsV1;
  return !e.manager && !e.operation && !e.apiVersion && !e.time && !e.fieldsType && !e.subresource && (!f || f === "{}" || (typeof f === "object" && Object.keys(f).length === 0));
}

/** Entries in Kubernetes' order: Apply before Update, then by time, manager, apiVersion, subresource. */
export function encodeManagedFields(managers: Managers, form: EntryForm): ManagedFieldsEntryLike[] {
  const entries = [...managers.values()].filter((m) => !m.set.isEmpty());
  entries.sort(
    (p, q) =>
      cmp(p.operation, q.operation) || cmp(p.time, q.time) || cmp(p.manager, q.manager) || cmp(p.apiVersion, q.apiVersion) || cmp(p.subresource, q.subresource),
  );
  return entries.map((m) => ({
    manager: m.manager,
    operation: m.operation,
    apiVersion: m.apiVersion,
    time: m.time,
    fieldsType: "FieldsV1",
    fieldsV1: fieldsV1In(m.set, form),
    subresource: m.subresource,
  }));
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** What one write changed (comparison sets), for `recordUpdate`. */
export interface Changes {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/**
 * Kubernetes' Update rule: the writer takes every field it added or changed (from whoever owned it)
 * and keeps what it owned before; fields removed leave every owner. Entries left empty go, and
 * Update entries beyond MAX_UPDATE_MANAGERS are merged, oldest first. Changes `managers` in place.
 */
export function recordUpdate(managers: Managers, writer: Omit<ManagerEntry, "set" | "operation">, changes: Changes): void {
  const taken = changes.added.union(changes.modified);
  const id = managerIdentity({ ...writer, operation: "Update" });
  for (const [key, m] of managers) {
    if (key === id) continue;
    m.set = m.set.difference(taken).difference(changes.removed);
    if (m.set.isEmpty()) managers.delete(key);
  }
  const prev = managers.get(id)?.set ?? new FieldSet();
  const set = prev.difference(changes.removed).union(taken);
  managers.delete(id);
  if (!set.isEmpty()) managers.set(id, { ...writer, operation: "Update", set });
  capUpdateManagers(managers);
}

/** Merges the oldest Update entries into one "ancient-changes" entry per apiVersion until at most MAX_UPDATE_MANAGERS remain. */
export function capUpdateManagers(managers: Managers, max = MAX_UPDATE_MANAGERS): void {
  const updaters = [...managers.entries()].filter(([, m]) => m.operation === "Update");
  if (updaters.length <= max) return;
  updaters.sort(([ka, a], [kb, b]) => cmp(a.time, b.time) || cmp(ka, kb));
  let count = updaters.length;
  for (const [key, m] of updaters) {
    if (count <= max) break;
    if (m.manager === ANCIENT_CHANGES_MANAGER && !m.subresource) continue;
    const bucketId = managerIdentity({ manager: ANCIENT_CHANGES_MANAGER, operation: "Update", apiVersion: m.apiVersion, subresource: "" });
    const bucket = managers.get(bucketId);
    managers.delete(key);
    if (bucket) {
      bucket.set = bucket.set.union(m.set);
      if (m.time > bucket.time) bucket.time = m.time;
      count--;
    } else {
      managers.set(bucketId, { manager: ANCIENT_CHANGES_MANAGER, operation: "Update", apiVersion: m.apiVersion, time: m.time, subresource: "", set: m.set });
    }
  }
}

/** Whether a FieldsV1 object owns any path that is a member of `set` (read without decoding it). */
export function fieldsV1Intersects(raw: Record<string, unknown> | undefined, set: FieldSet): boolean {
  if (!raw) return false;
  for (const m of set.members) {
    const node = raw[m] as Record<string, unknown> | undefined;
    if (node && typeof node === "object" && ("." in node || Object.keys(node).length === 0)) return true;
  }
  for (const [e, child] of set.children) {
    const node = raw[e];
    if (node && typeof node === "object" && fieldsV1Intersects(node as Record<string, unknown>, child)) return true;
  }
  return false;
}

/**
 * `recordUpdate` on stored entries, decoding only the entries the change touches (the writer's, and
 * those owning a changed or removed field); the others are kept as they are. Entries are assumed
 * valid (stored, or checked by the caller). Returns the new entries in Kubernetes' order.
 */
export function recordUpdateEntries(entries: readonly ManagedFieldsEntryLike[], writer: Omit<ManagerEntry, "set" | "operation">, changes: Changes, form: EntryForm): ManagedFieldsEntryLike[] {
  const taken = changes.added.union(changes.modified);
  const lost = taken.union(changes.removed);
  const selfId = managerIdentity({ ...writer, operation: "Update" });
  const out: ManagedFieldsEntryLike[] = [];
  let own = new FieldSet();
  let updaters = 1;
  for (const e of entries) {
    if (managerIdentity(e) === selfId) {
      own = own.union(FieldSet.fromFieldsV1(fieldsV1Of(e)));
      continue;
    }
    if (e.operation === "Update") updaters++;
    const raw = fieldsV1Of(e);
    if (!fieldsV1Intersects(raw, lost)) {
      out.push(e);
      continue;
    }
    const set = FieldSet.fromFieldsV1(raw).difference(taken).difference(changes.removed);
    if (!set.isEmpty()) out.push({ ...e, fieldsV1: fieldsV1In(set, form) });
  }
  own = own.difference(changes.removed).union(taken);
  if (!own.isEmpty()) out.push({ manager: writer.manager, operation: "Update", apiVersion: writer.apiVersion, time: writer.time, fieldsType: "FieldsV1", fieldsV1: fieldsV1In(own, form), subresource: writer.subresource });
  if (updaters > MAX_UPDATE_MANAGERS) {
    const managers = decodeManagedFields(out);
    capUpdateManagers(managers);
    return encodeManagedFields(managers, form);
  }
  return out.sort(compareEntries);
}

/** Kubernetes' order of entries: Apply before Update, then by time, manager, apiVersion, subresource. */
export function compareEntries(p: ManagedFieldsEntryLike, q: ManagedFieldsEntryLike): number {
  return cmp(p.operation, q.operation) || cmp(p.time, q.time) || cmp(p.manager, q.manager) || cmp(p.apiVersion, q.apiVersion) || cmp(p.subresource, q.subresource);
}

/** One field another manager owns with a different value than the applier asks for. */
export interface Conflict {
  manager: ManagerEntry;
  path: string;
}

/**
 * Kubernetes' Apply rule after the merge: every other manager owning a field the apply added or
 * changed conflicts (unless `force`, which moves the field to the applier); fields removed leave
 * every owner. Returns the conflicts (empty when forced or none); changes `managers` only when there are none or `force`.
 */
export function takeOwnership(managers: Managers, applierId: string, changes: Changes, force: boolean): Conflict[] {
  const taken = changes.added.union(changes.modified);
  const conflicts: Conflict[] = [];
  for (const [key, m] of managers) {
    if (key === applierId) continue;
    const overlap = m.set.intersection(taken);
    if (!overlap.isEmpty()) for (const p of overlap.paths()) conflicts.push({ manager: m, path: pathString(p) });
  }
  if (conflicts.length && !force) return conflicts;
  for (const [key, m] of managers) {
    if (key === applierId) continue;
    m.set = m.set.difference(taken).difference(changes.removed);
    if (m.set.isEmpty()) managers.delete(key);
  }
  return [];
}

function printManager(m: ManagerEntry): string {
  let out = JSON.stringify(m.manager);
  if (m.subresource) out += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === "Update") out += ` using ${m.apiVersion}`;
  return out;
}

/** The 409 Kubernetes answers an apply with conflicts: one FieldManagerConflict cause per field, kubectl's message. */
export function conflictError(conflicts: readonly Conflict[]): ApiError {
  const causes = conflicts.map((c) => ({ reason: "FieldManagerConflict", message: `conflict with ${printManager(c.manager)}`, field: c.path }));
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return apiErrors.apiError("Conflict", `Apply failed with 1 conflict: conflict with ${printManager(c.manager)}: ${c.path}`, undefined, causes);
  }
  const byManager = new Map<string, { m: ManagerEntry; paths: string[] }>();
  for (const c of conflicts) {
    const id = managerIdentity(c.manager);
    const entry = byManager.get(id) ?? { m: c.manager, paths: [] };
    entry.paths.push(c.path);
    byManager.set(id, entry);
  }
  const lines: string[] = [];
  for (const id of [...byManager.keys()].sort()) {
    const { m, paths } = byManager.get(id)!;
    lines.push(`conflicts with ${printManager(m)}:`, ...paths.map((p) => `- ${p}`));
  }
  return apiErrors.apiError("Conflict", `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`, undefined, causes);
}
