// The field manager's two entry points: Update (every write records who changed what) and Apply (server-side apply's ownership and conflicts).
import { isDeepStrictEqual } from "node:util";
import type { ApiObject } from "@kubeplane/api";
import { FieldSet } from "./field-set.js";
import {
  capUpdateManagers,
  conflictError,
  decodeManagedFields,
  decodeOrEmpty,
  encodeManagedFields,
  isResetRequest,
  managerIdentity,
  recordUpdateEntries,
  takeOwnership,
  ManagedFieldsError,
  type ManagedFieldsEntryLike,
  type Managers,
} from "./managed-fields.js";
import { compareObjects, fieldSetOf, isSame, removeFields } from "./walk.js";

/** Who writes: the request's field manager and how (Apply: the managedFields were computed by `applyConfiguration`). */
export interface FieldManagerRef {
  manager: string;
  operation: "Apply" | "Update";
}

/** An RFC 3339 time at second precision, as managedFields entries carry. */
export const fieldsTime = (now: Date): string => now.toISOString().replace(/\.\d{3}Z$/, "Z");

type Obj = Record<string, unknown>;

/** What the Registry knows of a write for `manageUpdate`. */
export interface UpdateWrite {
  typeName: string;
  apiVersion: string;
  /** The stored object; undefined for a create. */
  old: ApiObject | undefined;
  /** The object about to be stored (after strategy, defaults and admission); its managedFields are replaced. */
  next: ApiObject;
  writer: FieldManagerRef;
  /** "" for the object itself, else "status", "scale", … (a subresource write never sets managedFields itself). */
  subresource: string;
  now: Date;
}

/**
 * Sets `next.metadata.managedFields` for a write (Kubernetes' FieldManager.Update): starts from the
 * request's own valid entries (a client may rewrite them; `[{}]` clears them) or else the stored
 * object's, then gives the writer what this write added or changed. A write that changes nothing
 * leaves the entries (and their times) as they were. For an Apply-computed request the entries are kept;
 * an apply through a subresource is recorded as an Update of that subresource.
 */
export function manageUpdate(w: UpdateWrite): void {
  const meta = w.next.metadata!;
  const requested = meta.managedFields as ManagedFieldsEntryLike[];
  const live = (w.old?.metadata?.managedFields ?? []) as ManagedFieldsEntryLike[];
  // An apply of the object itself carries the entries applyConfiguration computed (possibly none).
  if (w.writer.operation === "Apply" && !w.subresource) return;
  // The entries to start from, valid: the stored ones are (they were written by this code).
  let base: ManagedFieldsEntryLike[];
  if (w.subresource) base = live;
  else if (isResetRequest(requested)) base = [];
  else if (requested.length === 0 || requested === live || isDeepStrictEqual(requested, live)) base = live;
  else base = isValid(requested) ? requested : live;
  const changes = compareObjects(w.typeName, w.old as unknown as Obj | undefined, w.next as unknown as Obj, "typed");
  const entries = isSame(changes) ? base : recordUpdateEntries(base, { manager: w.writer.manager, apiVersion: w.apiVersion, time: fieldsTime(w.now), subresource: w.subresource }, changes, "typed");
  meta.managedFields = entries as typeof meta.managedFields;
}

function isValid(entries: ManagedFieldsEntryLike[]): boolean {
  try {
    return decodeManagedFields(entries).size > 0;
  } catch (err) {
    if (err instanceof ManagedFieldsError) return false;
    throw err;
  }
}

/** A server-side apply of `config` onto `live` (both Kubernetes JSON); `merged` is the configuration merged into the live object. */
export interface ApplyRequest {
  typeName: string;
  apiVersion: string;
  /** The live object, or undefined when the apply creates it. */
  live: Obj | undefined;
  config: Obj;
  merged: Obj;
  manager: string;
  force: boolean;
  /** Kinds with a status subresource: the apply configuration's status is not the applier's. */
  ignoreStatus: boolean;
  now: Date;
}

/**
 * Kubernetes' FieldManager.Apply: the configuration's fields become the manager's set; fields it
 * applied before and no longer applies, and no one else owns, are removed from `merged`; a field
 * another manager owns and this apply changes is a conflict (a 409 ApiError) unless `force` moves it.
 * Returns the object to store, with its managedFields; the entry's time moves only when the object changed.
 */
export function applyConfiguration(r: ApplyRequest): Obj {
  const liveMeta = (r.live?.["metadata"] ?? {}) as { managedFields?: ManagedFieldsEntryLike[] };
  const managers = decodeOrEmpty(liveMeta.managedFields?.map(withDefaults));
  let configSet = fieldSetOf(r.typeName, r.config, "json");
  if (r.ignoreStatus) configSet = configSet.recursiveDifference(new FieldSet().insert(["f:status"]));
  const id = managerIdentity({ manager: r.manager, operation: "Apply", apiVersion: r.apiVersion, subresource: "" });
  const previous = managers.get(id);
  const time = fieldsTime(r.now);
  managers.set(id, { manager: r.manager, operation: "Apply", apiVersion: r.apiVersion, time: previous?.time ?? time, subresource: "", set: configSet });
  const next = r.merged;
  if (previous && !previous.set.isEmpty()) {
    let owned = new FieldSet();
    for (const m of managers.values()) owned = owned.union(m.set);
    const stale = previous.set.difference(owned);
    if (!stale.isEmpty()) removeFields(r.typeName, next, stale, owned);
  }
  const changes = compareObjects(r.typeName, r.live, next, "json");
  const conflicts = takeOwnership(managers, id, changes, r.force);
  if (conflicts.length) throw conflictError(conflicts);
  if (!isSame(changes)) managers.get(id)!.time = time;
  capUpdateManagers(managers);
  const meta = (next["metadata"] ??= {}) as { managedFields?: unknown };
  meta.managedFields = encodeManagedFields(managers, "json");
  return next;
}

/** A JSON entry with the generated type's defaults, for decoding. */
function withDefaults(e: Partial<ManagedFieldsEntryLike>): ManagedFieldsEntryLike {
  return { manager: e.manager ?? "", operation: e.operation ?? "", apiVersion: e.apiVersion ?? "", time: e.time ?? "", fieldsType: e.fieldsType ?? "", fieldsV1: e.fieldsV1, subresource: e.subresource ?? "" };
}
