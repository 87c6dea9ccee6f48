// Kubernetes' strategic merge patch, generic over the schema: lists merge by the merge key the proto records.
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { apiFieldOption, messageDescriptor } from "./json-codec.js";
import { checkJsonDepth } from "./json-limits.js";

type JsonObject = Record<string, unknown>;

/** A patch the strategic merge cannot apply (a directive it does not know, an element without its merge key). */
export class StrategicMergePatchError extends Error {
  override readonly name = "StrategicMergePatchError";
  readonly code = "EPATCH";
}

/** How a field merges: its element message (if any), and for lists the merge key and strategy. */
interface FieldMeta {
  message?: DescMessage;
  list: boolean;
  mergeKey: string;
  strategy: string;
}

const DIRECTIVE = "$patch";
const RETAIN_KEYS = "$retainKeys";
const SET_ORDER = "$setElementOrder/";
const DELETE_PRIMITIVES = "$deleteFromPrimitiveList/";

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fieldMeta(desc: DescMessage | undefined, key: string): FieldMeta {
  const field: DescField | undefined = desc?.fields.find((f) => f.jsonName === key);
  if (!field) return { list: false, mergeKey: "", strategy: "" };
  const message = field.message && !field.message.typeName.startsWith("google.protobuf.") ? field.message : undefined;
  return {
    message,
    list: field.fieldKind === "list",
    mergeKey: String(apiFieldOption(field, "merge_key") ?? ""),
    strategy: String(apiFieldOption(field, "patch_strategy") ?? ""),
  };
}

/** A map field (proto map<>) merges key by key; its values have the field's message type. */
function mapValueMessage(desc: DescMessage | undefined, key: string): DescMessage | undefined {
  const field = desc?.fields.find((f) => f.jsonName === key);
  return field?.fieldKind === "map" && field.mapKind === "message" ? field.message : undefined;
}

function isMapField(desc: DescMessage | undefined, key: string): boolean {
  return desc?.fields.find((f) => f.jsonName === key)?.fieldKind === "map";
}

function clone<T>(v: T): T {
  return v === undefined ? v : (structuredClone(v) as T);
}

function mergeObject(original: unknown, patch: JsonObject, desc: DescMessage | undefined, mapValues?: DescMessage): unknown {
  const directive = patch[DIRECTIVE];
  if (directive === "delete") return undefined;
  if (directive === "replace") {
    const rest = { ...patch };
    delete rest[DIRECTIVE];
    return clone(rest);
  }
  if (directive !== undefined) throw new StrategicMergePatchError(`unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`);
  const out: JsonObject = isObject(original) ? { ...original } : {};
  const retain = patch[RETAIN_KEYS];
  for (const [key, value] of Object.entries(patch)) {
    if (key === RETAIN_KEYS || key.startsWith(SET_ORDER)) continue;
    if (key.startsWith(DELETE_PRIMITIVES)) {
      const field = key.slice(DELETE_PRIMITIVES.length);
      const drop = new Set((Array.isArray(value) ? value : []).map((v) => JSON.stringify(v)));
      if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter((v) => !drop.has(JSON.stringify(v)));
      continue;
    }
    if (value === null) {
      delete out[key];
      continue;
    }
    const next = mergeField(out[key], value, desc, key, mapValues);
    if (next === undefined) delete out[key];
    else out[key] = next;
  }
  if (Array.isArray(retain)) {
    const keep = new Set(retain.map(String));
    for (const key of Object.keys(out)) if (!keep.has(key)) delete out[key];
  }
  return out;
}

function mergeField(original: unknown, value: unknown, desc: DescMessage | undefined, key: string, mapValues?: DescMessage): unknown {
  if (mapValues) return isObject(value) ? mergeObject(original, value, mapValues) : clone(value);
  const meta = fieldMeta(desc, key);
  if (Array.isArray(value)) return meta.list ? mergeList(original, value, meta) : clone(value);
  if (!isObject(value)) return clone(value);
  if (isMapField(desc, key)) return mergeObject(original, value, undefined, mapValueMessage(desc, key));
  return mergeObject(original, value, meta.message);
}

function mergeList(original: unknown, patch: unknown[], meta: FieldMeta): unknown[] | undefined {
  const replace = patch.find((e) => isObject(e) && e[DIRECTIVE] === "replace" && Object.keys(e).length === 1);
  if (replace) return clone(patch.filter((e) => e !== replace));
  const strategies = meta.strategy.split(",");
  if (!strategies.includes("merge")) return clone(patch);
  const base = Array.isArray(original) ? [...original] : [];
  if (!meta.mergeKey) {
    // A merged list of primitives is a set union, original order first.
    const seen = new Set(base.map((v) => JSON.stringify(v)));
    for (const v of patch) if (!seen.has(JSON.stringify(v))) base.push(clone(v));
    return base;
  }
  const keyOf = (e: unknown): string => {
    const k = isObject(e) ? e[meta.mergeKey] : undefined;
    if (k === undefined) throw new StrategicMergePatchError(`map: ${JSON.stringify(e)} does not contain declared merge key: ${meta.mergeKey}`);
    return JSON.stringify(k);
  };
  for (const element of patch) {
    if (!isObject(element)) throw new StrategicMergePatchError(`a list merged by ${meta.mergeKey} takes objects, got ${JSON.stringify(element)}`);
    const k = keyOf(element);
    const index = base.findIndex((e) => isObject(e) && JSON.stringify(e[meta.mergeKey]) === k);
    if (element[DIRECTIVE] === "delete") {
      if (index >= 0) base.splice(index, 1);
      continue;
    }
    const merged = mergeObject(index >= 0 ? base[index] : undefined, element, meta.message);
    if (index >= 0) base[index] = merged;
    else base.push(merged);
  }
  return base;
}

/**
 * Applies a strategic merge patch to an object of the given message type (Kubernetes JSON):
 * objects merge as in a JSON merge patch, lists whose field records `patch_strategy: merge` merge
 * element by element on their `merge_key` (a primitive list: set union), other lists are replaced.
 * Supports the directives `$patch: replace|delete` (on objects and list elements),
 * `$retainKeys`, `$deleteFromPrimitiveList/<field>`, and ignores `$setElementOrder/<field>`.
 * Returns a new value; throws StrategicMergePatchError for a patch it cannot apply, and a
 * BadRequest ApiError for one nested deeper than the JSON depth limit.
 */
export function strategicMergePatch(typeName: string, original: unknown, patch: unknown): unknown {
  if (!isObject(patch)) throw new StrategicMergePatchError(`a strategic merge patch is a JSON object, got ${JSON.stringify(patch)}`);
  checkJsonDepth(patch, "the strategic merge patch");
  return mergeObject(original, patch, messageDescriptor(typeName)) ?? {};
}
