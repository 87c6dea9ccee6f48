// Field errors with Kubernetes' field paths and messages, collected by decoding and validation.

/** Kubernetes' field.ErrorType values, which become StatusCause.reason. */
export type FieldErrorType =
  | "FieldValueRequired"
  | "FieldValueInvalid"
  | "FieldValueNotSupported"
  | "FieldValueDuplicate"
  | "FieldValueForbidden"
  | "FieldValueTooLong"
  | "FieldValueTooMany"
  | "FieldValueTypeInvalid"
  | "FieldValueUnknown";

/** One thing wrong with one field: `spec.containers[0].image: Required value`. */
export interface FieldError {
  type: FieldErrorType;
  /** The JSON path: `metadata.name`, `spec.containers[0].ports[1].containerPort`, `metadata.labels[app]`. */
  field: string;
  /** The offending value, shown in the message for Invalid, NotSupported, Duplicate. */
  value?: unknown;
  detail: string;
}

/** A field path built like Kubernetes' `field.Path`: `root("spec").child("containers").index(0)`. */
export class FieldPath {
  private constructor(private readonly text: string) {}

  static root(name: string): FieldPath {
    return new FieldPath(name);
  }

  child(name: string): FieldPath {
    return new FieldPath(this.text ? `${this.text}.${name}` : name);
  }

  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }

  key(k: string): FieldPath {
    return new FieldPath(`${this.text}[${k}]`);
  }

  toString(): string {
    return this.text;
  }
}

type PathLike = FieldPath | string;

export function required(path: PathLike, detail = ""): FieldError {
  return { type: "FieldValueRequired", field: String(path), detail };
}

export function invalid(path: PathLike, value: unknown, detail: string): FieldError {
  return { type: "FieldValueInvalid", field: String(path), value, detail };
}

export function notSupported(path: PathLike, value: unknown, supported: readonly string[]): FieldError {
  const detail = supported.length ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(", ")}` : "";
  return { type: "FieldValueNotSupported", field: String(path), value, detail };
}

export function duplicate(path: PathLike, value: unknown): FieldError {
  return { type: "FieldValueDuplicate", field: String(path), value, detail: "" };
}

export function forbidden(path: PathLike, detail: string): FieldError {
  return { type: "FieldValueForbidden", field: String(path), detail };
}

export function tooLong(path: PathLike, max: number): FieldError {
  return { type: "FieldValueTooLong", field: String(path), detail: `must have at most ${max} bytes` };
}

export function tooMany(path: PathLike, actual: number, max: number): FieldError {
  return { type: "FieldValueTooMany", field: String(path), value: actual, detail: `must have at most ${max} items` };
}

export function typeInvalid(path: PathLike, value: unknown, detail: string): FieldError {
  return { type: "FieldValueTypeInvalid", field: String(path), value, detail };
}

export function unknownField(path: PathLike): FieldError {
  return { type: "FieldValueUnknown", field: String(path), detail: "field not declared in schema" };
}

const typeText: Record<FieldErrorType, string> = {
  FieldValueRequired: "Required value",
  FieldValueInvalid: "Invalid value",
  FieldValueNotSupported: "Unsupported value",
  FieldValueDuplicate: "Duplicate value",
  FieldValueForbidden: "Forbidden",
  FieldValueTooLong: "Too long",
  FieldValueTooMany: "Too many",
  FieldValueTypeInvalid: "Invalid value",
  FieldValueUnknown: "Unknown field",
};

const showsValue = new Set<FieldErrorType>([
  "FieldValueInvalid",
  "FieldValueNotSupported",
  "FieldValueDuplicate",
  "FieldValueTypeInvalid",
]);

/** Kubernetes' wording without the path: `Invalid value: "Foo": a lowercase RFC 1123 …`. */
export function fieldErrorText(e: FieldError): string {
  let text = typeText[e.type];
  if (showsValue.has(e.type)) text += `: ${formatValue(e.value)}`;
  if (e.detail) text += `: ${e.detail}`;
  return text;
}

/** Kubernetes' wording with the path: `metadata.name: Invalid value: "Foo": …`. */
export function fieldErrorMessage(e: FieldError): string {
  return `${e.field}: ${fieldErrorText(e)}`;
}

function formatValue(value: unknown): string {
  if (value === undefined) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  const json = JSON.stringify(value);
  return json.length > 120 ? `${json.slice(0, 117)}...` : json;
}
