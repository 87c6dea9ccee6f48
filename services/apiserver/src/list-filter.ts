// List and watch filtering: label and field selectors per kind, and the continue token.
import {
  SelectorParseError,
  apiErrors,
  fieldsOf,
  parseFieldSelector,
  parseLabelSelector,
  type ApiObject,
  type FieldSelector,
  type KindInfo,
  type LabelSelector,
} from "@kubeplane/api";

/** Matches objects of one kind against a request's selectors. */
export interface ObjectFilter {
  readonly matchesEverything: boolean;
  matches(obj: ApiObject): boolean;
}

/** Parses a request's selectors; a bad selector or an unknown field is BadRequest. */
export function objectFilter(info: KindInfo, labelSelector: string, fieldSelector: string): ObjectFilter {
  let labels: LabelSelector;
  let fields: FieldSelector;
  try {
    labels = parseLabelSelector(labelSelector);
  } catch (err) {
    if (err instanceof SelectorParseError) throw apiErrors.badRequest(`unable to parse requirement: ${err.message}`);
    throw err;
  }
  const allowed = Object.keys(fieldsOf(info, info.codec.fromPartial({ metadata: {} })));
  try {
    fields = parseFieldSelector(fieldSelector, allowed);
  } catch (err) {
    if (err instanceof SelectorParseError) throw apiErrors.badRequest(`${err.message} (${info.resource} support: ${allowed.join(", ")})`);
    throw err;
  }
  return {
    matchesEverything: labels.empty && fields.empty,
    matches(obj: ApiObject): boolean {
      if (!labels.matches(obj.metadata?.labels)) return false;
      if (fields.empty) return true;
      const values = fieldsOf(info, obj);
      return fields.matches((path) => values[path]);
    },
  };
}

interface ContinueState {
  /** The etcd revision the first page was read at. */
  rv: number;
  /** The last key returned; the next page starts after it. */
  start: string;
}

export function encodeContinue(state: ContinueState): string {
  return Buffer.from(JSON.stringify({ v: 1, ...state })).toString("base64url");
}

export function decodeContinue(token: string): ContinueState {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { v?: number; rv?: unknown; start?: unknown };
    if (parsed.v === 1 && typeof parsed.rv === "number" && typeof parsed.start === "string") return { rv: parsed.rv, start: parsed.start };
  } catch {
    // reported below
  }
  throw apiErrors.badRequest("continue key is not valid: ill-formed token");
}
