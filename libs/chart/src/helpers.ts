// The Helm/Sprig functions templates call, as plain JavaScript functions with Helm's argument order (the piped value last).
import { createHash } from "node:crypto";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";

/** Thrown by `required` and `fail`; the engine adds the template's file and line. */
export class TemplateFailure extends Error {
  override readonly name = "TemplateFailure";
  readonly code = "ETEMPLATEFAIL";
}

/** Go's fmt of a template value as text: null/undefined are "", objects JSON unless they have their own toString (KubeVersion). */
export function toText(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "object") return Object.hasOwn(v, "toString") ? String(v) : JSON.stringify(v);
  return String(v);
}

/** Sprig's `empty`: null, undefined, false, 0, "", and empty lists and maps. */
export function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.keys(v).length === 0;
  return false;
}

function indentText(n: number, s: unknown): string {
  const pad = " ".repeat(Math.max(0, Math.trunc(n)));
  return pad + toText(s).replace(/\n/g, `\n${pad}`);
}

/**
 * Every helper a template sees by name. `default` is a reserved word in JavaScript, so the
 * template spelling is `dflt(def, value)`; the rest keep Helm's names.
 */
export const HELPERS = {
  /** YAML of a value without the trailing newline (Helm's toYaml; map keys sorted as Go's). */
  toYaml: (v: unknown): string => (v === undefined ? "" : stringifyYaml(v, { sortMapEntries: true, lineWidth: 0 }).replace(/\n$/, "")),
  toJson: (v: unknown): string => JSON.stringify(v ?? null),
  fromYaml: (s: unknown): unknown => parseYaml(toText(s)) as unknown,
  fromJson: (s: unknown): unknown => JSON.parse(toText(s)) as unknown,
  indent: indentText,
  nindent: (n: number, s: unknown): string => `\n${indentText(n, s)}`,
  /** Each non-null argument double-quoted with escapes, joined by spaces (Sprig's quote). */
  quote: (...args: unknown[]): string => args.filter((a) => a !== undefined && a !== null).map((a) => JSON.stringify(toText(a))).join(" "),
  squote: (...args: unknown[]): string => args.filter((a) => a !== undefined && a !== null).map((a) => `'${toText(a)}'`).join(" "),
  dflt: <T, D>(def: D, value: T): T | D => (isEmpty(value) ? def : value),
  /** The first non-empty argument (Sprig's coalesce). */
  coalesce: (...args: unknown[]): unknown => args.find((a) => !isEmpty(a)),
  empty: isEmpty,
  ternary: <A, B>(whenTrue: A, whenFalse: B, test: unknown): A | B => (test ? whenTrue : whenFalse),
  /** Fails the render with `message` when the value is null, undefined or "" (Helm's required). */
  required: <T>(message: string, value: T): T => {
    if (value === undefined || value === null || value === "") throw new TemplateFailure(message);
    return value;
  },
  fail: (message: string): never => {
    throw new TemplateFailure(message);
  },
  b64enc: (s: unknown): string => Buffer.from(toText(s), "utf8").toString("base64"),
  b64dec: (s: unknown): string => Buffer.from(toText(s), "base64").toString("utf8"),
  sha256sum: (s: unknown): string => createHash("sha256").update(toText(s), "utf8").digest("hex"),
  /** The first n characters; a negative n keeps the last -n (Sprig's trunc). */
  trunc: (n: number, s: unknown): string => {
    const text = toText(s);
    if (n < 0) return text.length + n > 0 ? text.slice(text.length + n) : text;
    return text.slice(0, n);
  },
  trimSuffix: (suffix: string, s: unknown): string => {
    const text = toText(s);
    return suffix && text.endsWith(suffix) ? text.slice(0, -suffix.length) : text;
  },
  trimPrefix: (prefix: string, s: unknown): string => {
    const text = toText(s);
    return prefix && text.startsWith(prefix) ? text.slice(prefix.length) : text;
  },
  trim: (s: unknown): string => toText(s).trim(),
  lower: (s: unknown): string => toText(s).toLowerCase(),
  upper: (s: unknown): string => toText(s).toUpperCase(),
  replace: (from: string, to: string, s: unknown): string => toText(s).split(from).join(to),
  contains: (sub: string, s: unknown): boolean => toText(s).includes(sub),
  hasKey: (m: unknown, key: string): boolean => typeof m === "object" && m !== null && Object.hasOwn(m, key),
  toString: toText,
} as const;

/** The helper names, in the order the engine declares them as locals of every template. */
export const HELPER_NAMES = Object.keys(HELPERS) as (keyof typeof HELPERS)[];
