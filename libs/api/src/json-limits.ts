// Limits on request JSON (bytes and nesting depth), checked before any recursive step sees the value.
import { apiError, badRequest, type ApiError } from "./api-error.js";

/** How large and how deep a request's JSON (an object, a patch) may be. */
export interface JsonLimits {
  /** Most bytes of one JSON body (Kubernetes' MaxRequestBodyBytes is 3 MB). */
  maxBytes: number;
  /** Most nested objects and arrays; `{}` is depth 1. Real manifests stay under ~20. */
  maxDepth: number;
}

/**
 * The defaults: 3 MiB as kube-apiserver's request body limit, and a depth of 100 — five times the
 * deepest real manifest (a CronJob's pod affinity terms), far below what a recursive merge, decode
 * or validation step could overflow the stack with.
 */
export const defaultJsonLimits: JsonLimits = Object.freeze({ maxBytes: 3 * 1024 * 1024, maxDepth: 100 });

/** Over `maxBytes`: RequestEntityTooLarge (413), as kube-apiserver's body limit. */
export function entityTooLarge(what: string, bytes: number, limit: number): ApiError {
  return apiError("RequestEntityTooLarge", `Request entity too large: ${what} is ${bytes} bytes, the limit is ${limit} bytes`);
}

function tooDeep(what: string, limit: number): ApiError {
  return badRequest(`${what} nests objects and arrays deeper than the limit of ${limit} levels`);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** The deepest nesting of `[` and `{` outside strings in JSON text (a scan, no parse, no recursion). */
export function jsonTextDepth(bytes: Uint8Array): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > deepest) deepest = depth;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
  }
  return deepest;
}

/** The deepest nesting of objects and arrays in a parsed value (iterative, so any depth is measured safely). */
export function jsonValueDepth(value: unknown, stopAbove = Infinity): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > deepest) {
      deepest = depth;
      if (deepest > stopAbove) return deepest;
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

/**
 * Parses a request's JSON body within the limits: over `maxBytes` is RequestEntityTooLarge,
 * deeper than `maxDepth` or not JSON is BadRequest. `what` names the body in messages ("the
 * patch", "the object"). Throws only ApiError.
 */
export function parseJsonBody(data: Uint8Array, what: string, limits: JsonLimits = defaultJsonLimits): unknown {
  if (data.length > limits.maxBytes) throw entityTooLarge(what, data.length, limits.maxBytes);
  if (jsonTextDepth(data) > limits.maxDepth) throw tooDeep(what, limits.maxDepth);
  try {
    return JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8")) as unknown;
  } catch (err) {
    throw badRequest(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Refuses an already parsed value nested deeper than `maxDepth` (BadRequest): the guard of the patch functions. */
export function checkJsonDepth(value: unknown, what: string, maxDepth: number = defaultJsonLimits.maxDepth): void {
  if (jsonValueDepth(value, maxDepth) > maxDepth) throw tooDeep(what, maxDepth);
}
