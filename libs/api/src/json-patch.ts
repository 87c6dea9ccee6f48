// RFC 6902 JSON Patch (add, remove, replace, move, copy, test over RFC 6901 pointers), as Kubernetes applies `application/json-patch+json`.
import { apiError } from "./api-error.js";
import { checkJsonDepth } from "./json-limits.js";

/** Most operations one JSON patch may carry (kube-apiserver's maxJSONPatchOperations). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

/** An operation the document cannot take (a missing path, a failed test, a malformed operation). */
export class JsonPatchError extends Error {
  override readonly name = "JsonPatchError";
  readonly code = "EPATCH";
}

type Container = Record<string, unknown> | unknown[];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function tokens(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new JsonPatchError(`invalid JSON pointer ${JSON.stringify(pointer)}: must start with "/"`);
  return pointer.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function arrayIndex(arr: unknown[], token: string, forInsert: boolean): number {
  if (forInsert && token === "-") return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new JsonPatchError(`invalid array index ${JSON.stringify(token)}`);
  const i = Number(token);
  if (i > arr.length || (!forInsert && i === arr.length)) throw new JsonPatchError(`array index ${i} out of range (length ${arr.length})`);
  return i;
}

function child(parent: unknown, token: string): unknown {
  if (Array.isArray(parent)) return parent[arrayIndex(parent, token, false)];
  if (isObject(parent) && Object.hasOwn(parent, token)) return parent[token];
  throw new JsonPatchError(`path segment ${JSON.stringify(token)} not found`);
}

function get(doc: unknown, pointer: string): unknown {
  return tokens(pointer).reduce(child, doc);
}

/** The parent container of a pointer and the last token; the root has none. */
function parentOf(doc: unknown, pointer: string): { parent: Container; last: string } {
  const t = tokens(pointer);
  const last = t.pop();
  if (last === undefined) throw new JsonPatchError("the root cannot be the target of this operation");
  const parent = t.reduce(child, doc);
  if (!Array.isArray(parent) && !isObject(parent)) throw new JsonPatchError(`the parent of ${pointer} is not an object or array`);
  return { parent, last };
}

function add(doc: unknown, path: string, value: unknown): unknown {
  if (path === "") return value;
  const { parent, last } = parentOf(doc, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true), 0, value);
  else Object.defineProperty(parent, last, { value, enumerable: true, writable: true, configurable: true });
  return doc;
}

function remove(doc: unknown, path: string): unknown {
  const { parent, last } = parentOf(doc, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, false), 1);
  else if (Object.hasOwn(parent, last)) delete parent[last];
  else throw new JsonPatchError(`unable to remove nonexistent key: ${last}`);
  return doc;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Applies the operations in order to a copy of `doc` and returns it; throws JsonPatchError (and
 * changes nothing) when any operation fails, as the whole patch is atomic. More than
 * MAX_JSON_PATCH_OPERATIONS operations is a RequestEntityTooLarge ApiError, values nested deeper
 * than the JSON depth limit a BadRequest ApiError.
 */
export function applyJsonPatch(doc: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new JsonPatchError("a JSON patch is a list of operations");
  if (operations.length > MAX_JSON_PATCH_OPERATIONS) {
    throw apiError("RequestEntityTooLarge", `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${operations.length}`);
  }
  checkJsonDepth(operations, "the JSON patch");
  let out = structuredClone(doc);
  for (const op of operations) {
    if (!isObject(op) || typeof op.op !== "string" || typeof op.path !== "string") throw new JsonPatchError(`invalid operation ${JSON.stringify(op)}`);
    const path = op.path;
    const from = (): string => {
      if (typeof op.from !== "string") throw new JsonPatchError(`operation ${op.op} needs "from"`);
      return op.from;
    };
    const value = (): unknown => {
      if (!Object.hasOwn(op, "value")) throw new JsonPatchError(`operation ${op.op} needs "value"`);
      return structuredClone(op.value);
    };
    switch (op.op) {
      case "add":
        out = add(out, path, value());
        break;
      case "remove":
        out = remove(out, path);
        break;
      case "replace":
        get(out, path);
        out = path === "" ? value() : add(remove(out, path), path, value());
        break;
      case "move": {
        const source = from();
        if (path.startsWith(`${source}/`)) throw new JsonPatchError(`cannot move ${source} into its own child ${path}`);
        const moved = get(out, source);
        out = add(remove(out, source), path, moved);
        break;
      }
      case "copy":
        out = add(out, path, structuredClone(get(out, from())));
        break;
      case "test":
        if (!deepEqual(get(out, path), value())) throw new JsonPatchError(`testing value ${path} failed`);
        break;
      default:
        throw new JsonPatchError(`unknown operation ${JSON.stringify(op.op)}`);
    }
  }
  return out;
}
