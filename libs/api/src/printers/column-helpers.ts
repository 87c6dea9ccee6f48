// The shape of a kind's table columns and the cell helpers kubectl's printers share.
import { arr, str } from "./json-fields.js";
import { age } from "./age.js";

/** A Kubernetes object as JSON (what the columns read). */
export type JsonObject = Record<string, unknown>;

/** One kind's table: kubectl's columns, and the extra ones `-o wide` appends. */
export interface TableColumns {
  readonly headers: readonly string[];
  readonly wideHeaders?: readonly string[];
  row(obj: JsonObject, now: Date): string[];
  wideRow?(obj: JsonObject, now: Date): string[];
}

export const name = (o: JsonObject): string => str(o, "metadata", "name");
export const created = (o: JsonObject, now: Date): string => age(str(o, "metadata", "creationTimestamp"), now);
export const orNone = (s: string): string => (s === "" ? "<none>" : s);
export const count = (v: number | undefined): string => String(v ?? 0);

/** CONTAINERS and IMAGES of a pod template (wide columns of every workload). */
export function templateContainers(o: JsonObject, ...path: string[]): [string, string] {
  const containers = arr(o, ...path, "spec", "containers");
  return [
    orNone(containers.map((c) => str(c, "name")).join(",")),
    orNone(containers.map((c) => str(c, "image")).join(",")),
  ];
}

/** A label selector object as text: `app=nginx,tier in (web)`. */
export function selectorText(selector: unknown): string {
  const parts: string[] = [];
  const labels = (selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};
  for (const [k, v] of Object.entries(labels)) parts.push(`${k}=${v}`);
  for (const e of arr(selector, "matchExpressions")) {
    const op = str(e, "operator");
    const values = arr(e, "values").map(String).join(",");
    if (op === "In") parts.push(`${str(e, "key")} in (${values})`);
    else if (op === "NotIn") parts.push(`${str(e, "key")} notin (${values})`);
    else if (op === "Exists") parts.push(str(e, "key"));
    else if (op === "DoesNotExist") parts.push(`!${str(e, "key")}`);
  }
  return orNone(parts.join(","));
}
