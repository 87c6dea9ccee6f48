// RFC 7386 JSON merge patch, as Kubernetes applies `application/merge-patch+json`.
import { checkJsonDepth } from "./json-limits.js";

type JsonObject = Record<string, unknown>;

/**
 * Applies `patch` to `target` (RFC 7386): a patch object merges into an object target key by key
 * (recursively), a `null` value deletes the key, and anything else (arrays, scalars, a non-object
 * target) replaces. Returns a new value; never modifies `target` or `patch`. A patch nested
 * deeper than the JSON depth limit is refused with a BadRequest ApiError before any merging.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  checkJsonDepth(patch, "the merge patch");
  return merge(target, patch);
}

function merge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return copy(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) delete out[key];
    else setOwn(out, key, merge(Object.hasOwn(out, key) ? out[key] : undefined, value));
  }
  return out;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The patch's own objects are copied so the result never aliases them; unchanged target parts are shared. */
function copy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copy);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const key of Object.keys(v)) setOwn(out, key, copy(v[key]));
  return out;
}

/** Sets a key as an own property, so a JSON key "__proto__" stays data rather than replacing the prototype. */
function setOwn(obj: JsonObject, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
