// `-o custom-columns=HEADER:PATH,…` and `-o custom-columns-file=FILE`: kubectl's user-defined tables.
import type { JsonObject } from "@kubeplane/client";
import { JsonPathError, JsonPathTemplate, relaxedJsonPath } from "./jsonpath.js";
import { alignTabs, TABLE_TABS } from "./tab-writer.js";

/** One column: its header and the template its cells are read with. */
export interface CustomColumn {
  header: string;
  template: JsonPathTemplate;
}

/** `NAME:.metadata.name,IMAGE:.spec.containers[*].image`; a path may hold commas inside brackets. */
export function parseCustomColumns(spec: string): CustomColumn[] {
  if (spec.trim() === "") throw new JsonPathError("custom-columns format specified but no custom columns given");
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of spec) {
    if (c === "[") depth++;
    if (c === "]") depth--;
    if (c === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += c;
  }
  parts.push(current);
  return parts.map((part) => {
    const colon = part.indexOf(":");
    if (colon < 0) throw new JsonPathError(`unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`);
    return { header: part.slice(0, colon), template: new JsonPathTemplate(relaxedJsonPath(part.slice(colon + 1))) };
  });
}

/** A custom-columns file: a line of headers and a line of paths, separated by whitespace. */
export function parseCustomColumnsFile(text: string): CustomColumn[] {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  if (lines.length !== 2) throw new JsonPathError(`unexpected custom-columns file: expected 2 lines (headers and paths), got ${lines.length}`);
  const headers = (lines[0] as string).split(/\s+/);
  const paths = (lines[1] as string).split(/\s+/);
  if (headers.length !== paths.length) throw new JsonPathError(`number of headers (${headers.length}) does not match number of paths (${paths.length})`);
  return headers.map((header, i) => ({ header, template: new JsonPathTemplate(relaxedJsonPath(paths[i] as string)) }));
}

/** Go's %v of a decoded JSON value, as kubectl writes custom-column cells: map[a:1 b:2], [x y]. */
export function goValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(" ")}]`;
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${goValue(o[k])}`).join(" ")}]`;
  }
  return String(v);
}

/** The header and cells of each object; a path that finds nothing is `<none>`, several values join with commas. */
export function customColumnRows(objects: readonly JsonObject[], columns: readonly CustomColumn[], noHeaders: boolean): string[][] {
  const rows = objects.map((o) =>
    columns.map((c) => {
      const values = c.template.results(o).flat();
      return values.length === 0 ? "<none>" : values.map(goValue).join(",");
    }),
  );
  return noHeaders ? rows : [columns.map((c) => c.header), ...rows];
}

export function renderCustomColumns(objects: readonly JsonObject[], columns: readonly CustomColumn[], noHeaders: boolean): string {
  return alignTabs(customColumnRows(objects, columns, noHeaders).map((cells) => cells.join("\t")), TABLE_TABS).map((l) => `${l}\n`).join("");
}
