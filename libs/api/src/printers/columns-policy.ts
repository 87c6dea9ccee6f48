// kubectl's table columns for the namespace policy kinds: ResourceQuota and LimitRange.
import type { JsonObject } from "./column-helpers.js";
import { at, str } from "./json-fields.js";
import { created, name, type TableColumns } from "./column-helpers.js";

function quantities(o: JsonObject, ...path: string[]): Record<string, string> {
  const v = at(o, ...path);
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, string>) : {};
}

/** REQUEST and LIMIT as kubectl prints them: `used/hard` for each spec.hard resource, `limits.*` in LIMIT. */
function quotaCells(o: JsonObject): [string, string] {
  const used = quantities(o, "status", "used");
  const hard = quantities(o, "status", "hard");
  const request: string[] = [];
  const limit: string[] = [];
  for (const resource of Object.keys(quantities(o, "spec", "hard")).sort()) {
    const pieces = resource.split(".");
    const cell = `${resource}: ${used[resource] ?? "0"}/${hard[resource] ?? "0"}`;
    (pieces.length > 1 && pieces[0] === "limits" ? limit : request).push(cell);
  }
  return [request.join(", "), limit.join(", ")];
}

export const resourceQuotaColumns: TableColumns = {
  headers: ["NAME", "AGE", "REQUEST", "LIMIT"],
  row: (o, now) => [name(o), created(o, now), ...quotaCells(o)],
};

export const limitRangeColumns: TableColumns = {
  headers: ["NAME", "CREATED AT"],
  row: (o) => [name(o), str(o, "metadata", "creationTimestamp")],
};
