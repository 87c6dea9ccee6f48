// What `-o` asks for (table, wide, yaml, json, name, jsonpath, custom-columns) and --sort-by's ordering.
import { readFile } from "node:fs/promises";
import { parseQuantity, type Quantity } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { parseCustomColumns, parseCustomColumnsFile, type CustomColumn } from "./custom-columns.js";
import { JsonPathError, JsonPathTemplate, relaxedJsonPath } from "./jsonpath.js";

/** A parsed `-o` value. */
export type OutputFormat =
  | { type: "table"; wide: boolean }
  | { type: "data"; format: "json" | "yaml" }
  | { type: "name" }
  | { type: "jsonpath"; template: JsonPathTemplate }
  | { type: "custom-columns"; columns: CustomColumn[] };

export const ALLOWED_FORMATS = "custom-columns,custom-columns-file,json,jsonpath,jsonpath-file,name,wide,yaml";

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof JsonPathError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

/** Parses `-o`; files of `jsonpath-file=`/`custom-columns-file=` are read here. Throws UsageError. */
export async function parseOutputFormat(output: string | undefined): Promise<OutputFormat> {
  const value = output ?? "";
  const eq = value.indexOf("=");
  const name = eq < 0 ? value : value.slice(0, eq);
  const arg = eq < 0 ? "" : value.slice(eq + 1);
  switch (name) {
    case "":
      return { type: "table", wide: false };
    case "wide":
      return { type: "table", wide: true };
    case "json":
    case "yaml":
      return { type: "data", format: name };
    case "name":
      return { type: "name" };
    case "jsonpath":
      if (!arg) throw new UsageError("template format specified but no template given");
      return wrap(() => ({ type: "jsonpath", template: new JsonPathTemplate(arg) }));
    case "jsonpath-file": {
      const text = await readFile(arg, "utf8");
      return wrap(() => ({ type: "jsonpath", template: new JsonPathTemplate(text) }));
    }
    case "custom-columns":
      return wrap(() => ({ type: "custom-columns", columns: parseCustomColumns(arg) }));
    case "custom-columns-file": {
      const text = await readFile(arg, "utf8");
      return wrap(() => ({ type: "custom-columns", columns: parseCustomColumnsFile(text) }));
    }
  }
  throw new UsageError(`unable to match a printer suitable for the output format "${value}", allowed formats are: ${ALLOWED_FORMATS}`);
}

function sortKey(template: JsonPathTemplate, obj: JsonObject): unknown {
  return template.results(obj).flat()[0];
}

function quantity(text: string): Quantity | undefined {
  if (!/^[+-]?(\d|\.\d)/.test(text)) return undefined;
  try {
    return parseQuantity(text);
  } catch {
    return undefined; // not a quantity: compared as text
  }
}

/** kubectl's natural order: runs of digits compare as numbers ("pod-9" before "pod-10"). */
export function naturalCompare(a: string, b: string): number {
  const split = (s: string): string[] => s.match(/\d+|\D+/g) ?? [];
  const [x, y] = [split(a), split(b)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i] as string, y[i] as string];
    if (p === q) continue;
    if (/^\d/.test(p) && /^\d/.test(q)) return Number(p) - Number(q) || p.length - q.length;
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

function compareKeys(a: unknown, b: unknown): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") {
    // Quantities (cpu: 500m vs 2) by value, as kubectl sorts resource fields.
    const [qa, qb] = [quantity(a), quantity(b)];
    if (qa && qb) return qa.cmp(qb);
    return naturalCompare(a, b);
  }
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * --sort-by: the objects ordered by the first value of a (relaxed) JSONPath: numbers by value,
 * quantities by value, other text in natural order; objects without it first. Stable.
 */
export function sortObjects(objects: readonly JsonObject[], sortBy: string): JsonObject[] {
  const template = wrap(() => new JsonPathTemplate(relaxedJsonPath(sortBy)));
  const keyed = objects.map((obj) => ({ obj, key: sortKey(template, obj) }));
  return keyed.sort((a, b) => compareKeys(a.key, b.key)).map((k) => k.obj);
}
