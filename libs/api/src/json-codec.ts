// The schema-driven Kubernetes JSON codec: strict decoding with field errors, Kubernetes-shaped encoding.
import {
  ScalarType,
  createFileRegistry,
  fromBinary,
  getOption,
  type DescExtension,
  type DescField,
  type DescMessage,
  type FileRegistry,
} from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { invalid, typeInvalid, unknownField, type FieldError } from "./field-errors.js";
import { descriptorSetBase64 } from "./gen/descriptors.js";
import type { ApiObject, KindInfo, MessageCodec } from "./kinds.js";
import { QuantityParseError, parseQuantity } from "./quantity.js";

/** A decoded object, or every field error that kept it from decoding (then `object` is absent). */
export interface DecodeResult<T> {
  object?: T;
  errors: FieldError[];
}

/** Thrown when a type name is not in the embedded descriptors: a programming error, not bad input. */
export class UnknownMessageTypeError extends Error {
  readonly code = "UnknownMessageType";
  constructor(readonly typeName: string) {
    super(`message type ${typeName} is not in the embedded descriptors`);
    this.name = "UnknownMessageTypeError";
  }
}

/**
 * Decodes a kind's Kubernetes JSON strictly: every unknown field, wrong JSON type, out-of-range
 * integer and bad quantity is reported with its field path; `null` means absent; IntOrString and
 * quantity numbers become strings; a missing apiVersion or kind is filled in, a different one is
 * an error. Never throws for bad input; does not modify `json`.
 */
export function decodeJson<T extends ApiObject>(info: KindInfo<T>, json: unknown): DecodeResult<T> {
  const errors: FieldError[] = [];
  if (isObject(json)) {
    for (const [key, expected] of [["apiVersion", info.apiVersion], ["kind", info.kind]] as const) {
      const given = json[key];
      if (typeof given === "string" && given !== "" && given !== expected) {
        errors.push(invalid(key, given, `must be ${JSON.stringify(expected)}`));
      }
    }
  }
  if (info.conversion && errors.length === 0) json = info.conversion.toStorage(json);
  const normalised = decodeMessage(planFor(info.typeName), json, "", errors);
  if (errors.length > 0 || normalised === undefined) return { errors };
  normalised.apiVersion ||= info.apiVersion;
  normalised.kind ||= info.kind;
  return { object: info.codec.fromJSON(normalised), errors };
}

/** `decodeJson` for a message that is not a kind (Binding, Scale, Status): no apiVersion/kind checks. */
export function decodeMessageJson<T>(typeName: string, codec: MessageCodec<T>, json: unknown): DecodeResult<T> {
  const errors: FieldError[] = [];
  const normalised = decodeMessage(planFor(typeName), json, "", errors);
  if (errors.length > 0 || normalised === undefined) return { errors };
  return { object: codec.fromJSON(normalised), errors };
}

/**
 * Kubernetes JSON for a kind: apiVersion and kind (filled in from `info` when unset), metadata,
 * spec, status, then the rest; digit-only IntOrString values are JSON numbers.
 */
export function encodeJson<T extends ApiObject>(info: KindInfo<T>, obj: T): Record<string, unknown> {
  const json = encodeMessageJson(info.typeName, info.codec, obj);
  if (info.conversion) return orderTopLevel(info.conversion.fromStorage({ kind: info.kind, ...json }));
  return orderTopLevel({ apiVersion: info.apiVersion, kind: info.kind, ...json });
}

/** `encodeJson` for a message that is not a kind; its apiVersion and kind are written only when set. */
export function encodeMessageJson<T>(typeName: string, codec: MessageCodec<T>, obj: T): Record<string, unknown> {
  const json = codec.toJSON(obj);
  if (!isObject(json)) return {};
  applyIntOrString(encodePlanFor(descFor(typeName)), json);
  return orderTopLevel(json);
}

// ---- descriptors and options ------------------------------------------------------------------

interface Schema {
  registry: FileRegistry;
  intOrString: DescExtension;
  quantity: DescExtension;
  jsonObject: DescExtension;
}

let schema: Schema | undefined;

function loadSchema(): Schema {
  if (schema) return schema;
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, Buffer.from(descriptorSetBase64, "base64")));
  const option = (name: string): DescExtension => {
    const ext = registry.getExtension(`kubeplane.api.v1.${name}`);
    if (!ext) throw new UnknownMessageTypeError(`kubeplane.api.v1.${name}`);
    return ext;
  };
  schema = { registry, intOrString: option("int_or_string"), quantity: option("quantity"), jsonObject: option("json_object") };
  return schema;
}

function descFor(typeName: string): DescMessage {
  const desc = loadSchema().registry.getMessage(typeName);
  if (!desc) throw new UnknownMessageTypeError(typeName);
  return desc;
}

/** The embedded descriptor of a message, for schema-driven code (strategic merge patch, explain); throws UnknownMessageTypeError. */
export function messageDescriptor(typeName: string): DescMessage {
  return descFor(typeName);
}

/** A `kubeplane.api.v1` field option (merge_key, patch_strategy, …) of a field, or undefined when unset. */
export function apiFieldOption(field: DescField, name: string): unknown {
  const ext = loadSchema().registry.getExtension(`kubeplane.api.v1.${name}`);
  if (!ext) throw new UnknownMessageTypeError(`kubeplane.api.v1.${name}`);
  return getOption(field, ext);
}

function hasFlag(field: DescField, ext: DescExtension): boolean {
  return getOption(field, ext) === true;
}

// ---- decoding ---------------------------------------------------------------------------------

type JsonObject = Record<string, unknown>;
/** Checks one present (non-null) value at `path`; returns its normalised JSON, or undefined after an error. */
type Decoder = (value: unknown, path: string, errors: FieldError[]) => unknown;

/** A message's fields by JSON name, compiled once per message type. */
interface MessagePlan {
  readonly fields: Map<string, Decoder>;
}

const plans = new Map<DescMessage, MessagePlan>();

function planFor(typeName: string): MessagePlan {
  return messagePlan(descFor(typeName));
}

function messagePlan(desc: DescMessage): MessagePlan {
  let plan = plans.get(desc);
  if (plan) return plan;
  // Registered before its fields compile, so recursive messages find it.
  plan = { fields: new Map() };
  plans.set(desc, plan);
  for (const field of desc.fields) plan.fields.set(field.jsonName, fieldDecoder(field));
  return plan;
}

function decodeMessage(plan: MessagePlan, value: unknown, path: string, errors: FieldError[]): JsonObject | undefined {
  if (!isObject(value)) {
    errors.push(typeInvalid(path, value, "expected object"));
    return undefined;
  }
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    const child = path ? `${path}.${key}` : key;
    const decode = plan.fields.get(key);
    if (!decode) {
      errors.push(unknownField(child));
      continue;
    }
    const v = value[key];
    if (v === null || v === undefined) continue;
    const decoded = decode(v, child, errors);
    if (decoded !== undefined) out[key] = decoded;
  }
  return out;
}

function fieldDecoder(field: DescField): Decoder {
  const { intOrString, quantity, jsonObject } = loadSchema();
  const element = (): Decoder => {
    if (field.message) return messageDecoder(field.message);
    if (field.enum) {
      const names = new Set(field.enum.values.map((v) => v.name));
      return (v, path, errors) =>
        (typeof v === "string" && names.has(v)) || isInt(v, -(2 ** 31), 2 ** 31 - 1) ? v : fail(errors, typeInvalid(path, v, "expected enum value"));
    }
    if (hasFlag(field, intOrString)) return decodeIntOrString;
    if (hasFlag(field, quantity)) return decodeQuantity;
    if (hasFlag(field, jsonObject)) return decodeJsonObject;
    return scalarDecoder(field.scalar ?? ScalarType.STRING);
  };
  switch (field.fieldKind) {
    case "list":
      return listDecoder(element());
    case "map":
      return mapDecoder(field.mapKey, element());
    default:
      return element();
  }
}

function messageDecoder(desc: DescMessage): Decoder {
  switch (desc.typeName) {
    case "google.protobuf.Struct":
      return (v, path, errors) => (isObject(v) ? cloneJson(v) : fail(errors, typeInvalid(path, v, "expected object")));
    case "google.protobuf.ListValue":
      return (v, path, errors) => (Array.isArray(v) ? cloneJson(v) : fail(errors, typeInvalid(path, v, "expected array")));
    case "google.protobuf.Value":
      return (v) => cloneJson(v);
  }
  if (desc.typeName.startsWith("google.protobuf.") && desc.typeName.endsWith("Value") && desc.fields.length === 1) {
    return scalarDecoder(desc.fields[0]?.scalar ?? ScalarType.STRING); // wrappers: ts-proto unwraps them
  }
  const plan = messagePlan(desc);
  return (v, path, errors) => decodeMessage(plan, v, path, errors);
}

function listDecoder(element: Decoder): Decoder {
  return (v, path, errors) => {
    if (!Array.isArray(v)) return fail(errors, typeInvalid(path, v, "expected array"));
    const out: unknown[] = [];
    v.forEach((item: unknown, i) => {
      if (item === null || item === undefined) return;
      const decoded = element(item, `${path}[${i}]`, errors);
      if (decoded !== undefined) out.push(decoded);
    });
    return out;
  };
}

function mapDecoder(keyType: ScalarType, value: Decoder): Decoder {
  const checkKey = keyType === ScalarType.STRING ? undefined : mapKeyChecker(keyType);
  return (v, path, errors) => {
    if (!isObject(v)) return fail(errors, typeInvalid(path, v, "expected object"));
    const out: JsonObject = {};
    for (const key of Object.keys(v)) {
      const entry = `${path}[${key}]`;
      if (checkKey && !checkKey(key)) {
        errors.push(invalid(entry, key, `map key must be ${ScalarType[keyType].toLowerCase()}`));
        continue;
      }
      const item = v[key];
      if (item === null || item === undefined) continue;
      const decoded = value(item, entry, errors);
      if (decoded !== undefined) setOwn(out, key, decoded);
    }
    return out;
  };
}

function mapKeyChecker(keyType: ScalarType): (key: string) => boolean {
  if (keyType === ScalarType.BOOL) return (key) => key === "true" || key === "false";
  const [min, max] = integerRange(keyType) ?? [-Infinity, Infinity];
  return (key) => /^-?\d+$/.test(key) && isInt(Number(key), min, max);
}

/** [min, max] of an integer scalar; int64 kinds are limited to what a JS number holds exactly. */
function integerRange(type: ScalarType): readonly [number, number] | undefined {
  switch (type) {
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return [-(2 ** 31), 2 ** 31 - 1];
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return [0, 2 ** 32 - 1];
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return [0, Number.MAX_SAFE_INTEGER];
    default:
      return undefined;
  }
}

function scalarDecoder(type: ScalarType): Decoder {
  const range = integerRange(type);
  if (range) {
    const [min, max] = range;
    return (v, path, errors) => {
      if (typeof v !== "number" || !Number.isInteger(v)) return fail(errors, typeInvalid(path, v, "expected integer"));
      return v >= min && v <= max ? v : fail(errors, invalid(path, v, `must be between ${min} and ${max}, inclusive`));
    };
  }
  switch (type) {
    case ScalarType.BOOL:
      return (v, path, errors) => (typeof v === "boolean" ? v : fail(errors, typeInvalid(path, v, "expected boolean")));
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return (v, path, errors) => (typeof v === "number" ? v : fail(errors, typeInvalid(path, v, "expected number")));
    default: // STRING, BYTES (base64 in JSON)
      return (v, path, errors) => (typeof v === "string" ? v : fail(errors, typeInvalid(path, v, "expected string")));
  }
}

/** Kubernetes' IntOrString holds an int32 or a string; either is kept as a string. */
function decodeIntOrString(v: unknown, path: string, errors: FieldError[]): unknown {
  if (typeof v === "string") return v;
  if (isInt(v, -(2 ** 31), 2 ** 31 - 1)) return String(v);
  return fail(errors, typeInvalid(path, v, "expected string or integer"));
}

/** A JSON object kept as its text (an already-decoded text passes through). */
function decodeJsonObject(v: unknown, path: string, errors: FieldError[]): unknown {
  if (isObject(v)) return JSON.stringify(v);
  if (typeof v === "string" && v.startsWith("{")) return v;
  return fail(errors, typeInvalid(path, v, "expected object"));
}

/** A quantity is a string in Kubernetes' format; YAML's `cpu: 1` arrives as a number and is kept as its decimal text. */
function decodeQuantity(v: unknown, path: string, errors: FieldError[]): unknown {
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v !== "string") return fail(errors, typeInvalid(path, v, "expected string or number"));
  try {
    parseQuantity(v);
    return v;
  } catch (err) {
    if (!(err instanceof QuantityParseError)) throw err;
    return fail(errors, invalid(path, v, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
  }
}

function fail(errors: FieldError[], error: FieldError): undefined {
  errors.push(error);
  return undefined;
}

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A copy of arbitrary JSON (explicit nulls kept), so a decoded object never shares the request's objects. */
function cloneJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneJson);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const key of Object.keys(v)) setOwn(out, key, cloneJson(v[key]));
  return out;
}

/** Sets a key as an own property, so a JSON key "__proto__" stays data rather than replacing the prototype. */
function setOwn(obj: JsonObject, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

// ---- encoding ---------------------------------------------------------------------------------

/** The steps that reach every IntOrString and JSON-object field under a message; empty when there is none. */
interface EncodeStep {
  readonly key: string;
  readonly shape: "single" | "list" | "map";
  /** Absent: the field itself is IntOrString (or, with `jsonObject`, a JSON object's text). */
  readonly plan?: readonly EncodeStep[];
  readonly jsonObject?: boolean;
}

const encodePlans = new Map<DescMessage, readonly EncodeStep[]>();
const encodePlansBuilding = new Set<DescMessage>();

function encodePlanFor(desc: DescMessage): readonly EncodeStep[] {
  const known = encodePlans.get(desc);
  if (known) return known;
  const steps: EncodeStep[] = [];
  // Registered before its fields are visited, so a recursive message ends the walk; a step into a
  // plan still being built is kept even if that plan turns out empty.
  encodePlans.set(desc, steps);
  encodePlansBuilding.add(desc);
  const { intOrString, jsonObject } = loadSchema();
  for (const field of desc.fields) {
    const shape = field.fieldKind === "list" ? "list" : field.fieldKind === "map" ? "map" : "single";
    if (field.message && !field.message.typeName.startsWith("google.protobuf.")) {
      const plan = encodePlanFor(field.message);
      if (plan.length > 0 || encodePlansBuilding.has(field.message)) steps.push({ key: field.jsonName, shape, plan });
    } else if (hasFlag(field, intOrString)) {
      steps.push({ key: field.jsonName, shape });
    } else if (hasFlag(field, jsonObject)) {
      steps.push({ key: field.jsonName, shape, jsonObject: true });
    }
  }
  encodePlansBuilding.delete(desc);
  return steps;
}

function applyIntOrString(steps: readonly EncodeStep[], json: JsonObject): void {
  for (const step of steps) {
    const value = json[step.key];
    if (value === undefined) continue;
    const apply = (v: unknown): unknown => {
      if (step.plan) {
        if (isObject(v)) applyIntOrString(step.plan, v);
        return v;
      }
      if (step.jsonObject) return typeof v === "string" && v !== "" ? (JSON.parse(v) as unknown) : v;
      return typeof v === "string" && /^\d{1,10}$/.test(v) && Number(v) <= 2 ** 31 - 1 ? Number(v) : v;
    };
    if (step.shape === "list" && Array.isArray(value)) json[step.key] = value.map(apply);
    else if (step.shape === "map" && isObject(value)) for (const k of Object.keys(value)) value[k] = apply(value[k]);
    else json[step.key] = apply(value);
  }
}

const leadingKeys = ["apiVersion", "kind", "metadata", "spec", "status"];

function orderTopLevel(json: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of leadingKeys) if (json[key] !== undefined) out[key] = json[key];
  for (const key of Object.keys(json)) if (!(key in out) && json[key] !== undefined) out[key] = json[key];
  return out;
}
