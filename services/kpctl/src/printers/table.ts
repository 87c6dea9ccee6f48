// Renders objects of one kind as kubectl's aligned table (optional NAMESPACE column, wide columns, kind/name prefixes).
import type { JsonObject } from "@kubeplane/client";
import { mapText, rec, str } from "../json-fields.js";
import type { TableColumns } from "@kubeplane/api";
import { alignTabs, TABLE_TABS } from "./tab-writer.js";

export interface TableOptions {
  now: Date;
  wide?: boolean;
  noHeaders?: boolean;
  /** -A: NAMESPACE as the first column. */
  withNamespace?: boolean;
  /** Prefix of the NAME cells when several kinds are printed ("deployment.apps/"). */
  namePrefix?: string;
  /** -L: one column per label key (header: the key's last segment, upper case), after the kind's columns. */
  labelColumns?: readonly string[];
  /** --show-labels: a last LABELS column. */
  showLabels?: boolean;
}

function labelHeaders(opts: TableOptions): string[] {
  const keys = (opts.labelColumns ?? []).map((k) => (k.split("/").pop() ?? k).toUpperCase());
  return opts.showLabels ? [...keys, "LABELS"] : keys;
}

function labelCells(o: JsonObject, opts: TableOptions): string[] {
  const labels = rec(o, "metadata", "labels");
  const cells = (opts.labelColumns ?? []).map((k) => str(labels, k));
  return opts.showLabels ? [...cells, mapText(labels)] : cells;
}

/** The header and rows as cells, before alignment (also what `get -w` prints per event). */
export function tableRows(objects: readonly JsonObject[], columns: TableColumns, opts: TableOptions): string[][] {
  const headers = [...columns.headers, ...(opts.wide ? (columns.wideHeaders ?? []) : []), ...labelHeaders(opts)];
  const nameIndex = headers.indexOf("NAME");
  const rows = objects.map((o) => {
    const cells = [...columns.row(o, opts.now), ...(opts.wide && columns.wideRow ? columns.wideRow(o, opts.now) : []), ...labelCells(o, opts)];
    if (opts.namePrefix && nameIndex >= 0) cells[nameIndex] = `${opts.namePrefix}${cells[nameIndex] ?? ""}`;
    return opts.withNamespace ? [str(o, "metadata", "namespace"), ...cells] : cells;
  });
  const header = opts.withNamespace ? ["NAMESPACE", ...headers] : headers;
  return opts.noHeaders ? rows : [header, ...rows];
}

/** The table as text, one line per row, aligned like kubectl's tabwriter. */
export function renderTable(objects: readonly JsonObject[], columns: TableColumns, opts: TableOptions): string {
  const lines = alignTabs(tableRows(objects, columns, opts).map((cells) => cells.join("\t")), TABLE_TABS);
  return lines.map((l) => `${l}\n`).join("");
}
