// apply's pure decision: create, unchanged, or configure (a three-way merge over the live object).
import type { JsonObject } from "@kubeplane/client";
import { isRecord } from "./json-fields.js";

export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

/** Metadata the server owns: never compared, stored or sent from a manifest. */
const SERVER_METADATA = ["resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"];

export type ApplyPlan =
  | { action: "create"; object: JsonObject }
  | { action: "unchanged" }
  | { action: "configure"; object: JsonObject };

/** The manifest as apply records it: no server-owned metadata, no status, no last-applied annotation. */
export function normalizeManifest(manifest: JsonObject): JsonObject {
  const out = structuredClone(manifest);
  delete out.status;
  if (isRecord(out.metadata)) {
    for (const key of SERVER_METADATA) delete out.metadata[key];
    const annotations = out.metadata.annotations;
    if (isRecord(annotations)) {
      delete annotations[LAST_APPLIED_ANNOTATION];
      if (Object.keys(annotations).length === 0) delete out.metadata.annotations;
    }
  }
  return out;
}

function annotate(obj: JsonObject, lastApplied: string): JsonObject {
  const metadata = isRecord(obj.metadata) ? obj.metadata : (obj.metadata = {});
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : (metadata.annotations = {});
  annotations[LAST_APPLIED_ANNOTATION] = lastApplied;
  return obj;
}

/** Whether every field the manifest sets has that value in the live object (defaults the server added are fine). */
export function isSubset(want: unknown, have: unknown): boolean {
  if (want === undefined) return true;
  if (want === null) return have === undefined || have === null;
  if (Array.isArray(want)) {
    if (have === undefined && want.length === 0) return true;
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => isSubset(w, have[i]));
  }
  if (isRecord(want)) {
    if (have === undefined && Object.keys(want).length === 0) return true;
    return isRecord(have) && Object.entries(want).every(([k, v]) => isSubset(v, have[k]));
  }
  if (want === have) return true;
  // 80 and "80", 1 and "1": the apiserver may normalize scalars of int-or-string fields.
  return (typeof want === "number" || typeof want === "string") && (typeof have === "number" || typeof have === "string") && String(want) === String(have);
}

/** RFC 7386 JSON merge patch: objects merge, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isRecord(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The manifest as a merge patch with `null` for each field the last apply set and this one dropped. */
export function threeWayPatch(lastApplied: unknown, manifest: unknown): unknown {
  if (!isRecord(lastApplied) || !isRecord(manifest)) return manifest;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(manifest)) out[k] = threeWayPatch(lastApplied[k], v);
  for (const k of Object.keys(lastApplied)) if (!(k in manifest)) out[k] = null;
  return out;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isRecord(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

/** The previous apply's manifest, from the live object's annotation (undefined if never applied or garbled). */
export function lastAppliedOf(live: JsonObject): unknown {
  const text = (live.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * What apply does with a manifest given the live object (undefined: it does not exist). The
 * manifest must already carry its namespace. "configure" carries the whole object to update:
 * the live object with the three-way patch applied, the live resourceVersion and the new
 * last-applied annotation — so server-set fields (clusterIP, defaults, status) survive.
 */
export function planApply(manifest: JsonObject, live: JsonObject | undefined): ApplyPlan {
  const desired = normalizeManifest(manifest);
  const lastAppliedText = JSON.stringify(desired);
  if (!live) return { action: "create", object: annotate(structuredClone(desired), lastAppliedText) };

  const previous = lastAppliedOf(live);
  const patch = threeWayPatch(previous, desired);
  const satisfied = isSubset(patch, live);
  if (satisfied && previous !== undefined && canonical(previous) === canonical(desired)) return { action: "unchanged" };

  const merged = mergePatch(live, patch) as JsonObject;
  const metadata = isRecord(merged.metadata) ? merged.metadata : (merged.metadata = {});
  const liveVersion = (live.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion;
  if (liveVersion !== undefined) metadata.resourceVersion = liveVersion;
  return { action: "configure", object: annotate(merged, lastAppliedText) };
}
