// Request objects in: Kubernetes JSON decoded against the schema, with fieldValidation (Strict, Warn, Ignore) for unknown fields.
import { apiErrors, decodeJson, type ApiObject, type FieldError, type KindInfo } from "@kubeplane/api";

export type FieldValidation = "Strict" | "Warn" | "Ignore";

/** The request's fieldValidation (Kubernetes' default, Warn, when absent); BadRequest for another value. */
export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get("fieldValidation") ?? "";
  if (v === "") return "Warn";
  if (v === "Strict" || v === "Warn" || v === "Ignore") return v;
  throw apiErrors.badRequest(`fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Strict", "Warn"`);
}

/** `a.b[0].c` as keys and indexes. */
function pathSteps(path: string): (string | number)[] {
  const steps: (string | number)[] = [];
  for (const part of path.split(".")) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return [];
    if (m[1]) steps.push(m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) steps.push(Number(idx[1]));
  }
  return steps;
}

function removePath(doc: unknown, path: string): void {
  const steps = pathSteps(path);
  let cur: unknown = doc;
  for (const step of steps.slice(0, -1)) {
    if (cur === null || typeof cur !== "object") return;
    cur = (cur as Record<string | number, unknown>)[step];
  }
  const last = steps[steps.length - 1];
  if (last !== undefined && cur !== null && typeof cur === "object") delete (cur as Record<string | number, unknown>)[last];
}

/**
 * Decodes a request object. Unknown fields are BadRequest under Strict; under Warn and Ignore they
 * are dropped (Warn returns them as warnings for the `Warning` header). Wrong types are always BadRequest.
 */
export function decodeObject<T extends ApiObject>(info: KindInfo<T>, json: unknown, validation: FieldValidation): { object: T; json: unknown; warnings: string[] } {
  let { object, errors } = decodeJson(info, json);
  const unknown = errors.filter((e) => e.type === "FieldValueUnknown");
  if (errors.length && validation !== "Strict" && unknown.length === errors.length) {
    json = structuredClone(json);
    for (const e of unknown) removePath(json, e.field);
    ({ object, errors } = decodeJson(info, json));
  }
  if (errors.length || !object) throw decodeError(info, errors.length ? errors : unknown);
  const warnings = validation === "Warn" ? unknown.map((e) => `unknown field "${e.field}"`) : [];
  return { object, json, warnings };
}

function decodeError(info: KindInfo, errors: FieldError[]): Error {
  const strict = errors.every((e) => e.type === "FieldValueUnknown");
  return apiErrors.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ${strict ? "strict decoding error" : "decoding error"}`, errors);
}
