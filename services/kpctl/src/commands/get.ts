// `kpctl get`: tables, -o yaml|json|name|jsonpath|custom-columns, --sort-by, labels as columns, and -w to stream changes after the list.
import { isNotFound, type KindInfo, columnsFor, eventLastSeen } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { errorLine } from "../errors.js";
import { resourceRequests, type ResourceRequest } from "../kind-args.js";
import { str } from "../json-fields.js";
import { customColumnRows, renderCustomColumns } from "../printers/custom-columns.js";
import { parseOutputFormat, sortObjects, type OutputFormat } from "../printers/output-format.js";
import { alignTabs, TABLE_TABS } from "../printers/tab-writer.js";
import { renderTable, tableRows, type TableOptions } from "../printers/table.js";
import { asList, formatData, formatName } from "../printers/yaml-json.js";
import { qualifiedKind } from "../resource-names.js";
import type { Command, CommandContext } from "./command.js";

interface Result {
  request: ResourceRequest;
  items: JsonObject[];
  resourceVersion?: string;
}

/** Items of a list may come without their type fields; printed objects always carry them. */
function typed(info: KindInfo, obj: JsonObject): JsonObject {
  return obj.apiVersion && obj.kind ? obj : { apiVersion: info.apiVersion, kind: info.kind, ...obj };
}

async function fetch(ctx: CommandContext, request: ResourceRequest, namespace: string): Promise<{ result: Result; failed: boolean }> {
  const json = ctx.client().json;
  const { info, names } = request;
  if (names.length === 0) {
    const list = await json.listAll(info, {
      namespace: info.namespaced ? namespace : "",
      labelSelector: ctx.flags.string("selector"),
      fieldSelector: ctx.flags.string("field-selector"),
      signal: ctx.io.signal,
    });
    const items = list.items.map((o: JsonObject) => typed(info, o));
    // Events read as a log: oldest first, so the newest sits next to the prompt (as `kubectl events`).
    if (info.group === "" && info.resource === "events") items.sort((a, b) => (Date.parse(eventLastSeen(a)) || 0) - (Date.parse(eventLastSeen(b)) || 0));
    return { result: { request, items, resourceVersion: list.resourceVersion }, failed: false };
  }
  const items: JsonObject[] = [];
  let failed = false;
  for (const name of names) {
    try {
      items.push(typed(info, await json.get(info, namespace, name, { signal: ctx.io.signal })));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      failed = true;
      ctx.err(`${errorLine(err, ctx.settings.server)}\n`);
    }
  }
  return { result: { request, items }, failed };
}

function tableOptions(ctx: CommandContext, info: KindInfo, output: OutputFormat, multiKind: boolean): TableOptions {
  return {
    now: ctx.now(),
    wide: output.type === "table" && output.wide,
    noHeaders: ctx.flags.boolean("no-headers"),
    withNamespace: ctx.flags.boolean("all-namespaces") && info.namespaced,
    namePrefix: multiKind ? `${qualifiedKind(info)}/` : undefined,
    labelColumns: ctx.flags.strings("label-columns"),
    showLabels: ctx.flags.boolean("show-labels"),
  };
}

function printResults(ctx: CommandContext, results: readonly Result[], output: OutputFormat, watch: boolean): void {
  const all = results.flatMap((r) => r.items.map((item) => ({ info: r.request.info, item })));
  const single = results.length === 1 && results[0]?.request.names.length === 1 && all.length === 1;
  switch (output.type) {
    case "data":
      ctx.out(formatData(single ? all[0]?.item : asList(all.map((a) => a.item)), output.format));
      return;
    case "jsonpath":
      // As kubectl: a single object by name is the template's data, anything else a List of the
      // items — except under -w, where every object is printed alone, the listed ones as the later events.
      if (watch) for (const { item } of all) ctx.out(output.template.execute(item));
      else ctx.out(output.template.execute(single ? all[0]?.item : asList(all.map((a) => a.item))));
      return;
    case "name":
      for (const { info, item } of all) ctx.out(formatName(info, item));
      return;
    case "custom-columns":
      ctx.out(renderCustomColumns(all.map((a) => a.item), output.columns, ctx.flags.boolean("no-headers")));
      return;
    case "table":
      break;
  }
  let first = true;
  for (const r of results) {
    if (r.items.length === 0) continue;
    if (!first) ctx.out("\n");
    first = false;
    ctx.out(renderTable(r.items, columnsFor(r.request.info), tableOptions(ctx, r.request.info, output, results.length > 1)));
  }
}

function noResourcesMessage(ctx: CommandContext, results: readonly Result[]): string {
  const namespaced = results.some((r) => r.request.info.namespaced);
  if (!namespaced || ctx.flags.boolean("all-namespaces")) return "No resources found\n";
  return `No resources found in ${ctx.settings.namespace} namespace.\n`;
}

/** Prints each change after the list's revision until the signal aborts or the server ends the stream. */
async function watchChanges(ctx: CommandContext, result: Result, output: OutputFormat, namespace: string): Promise<void> {
  const { info, names } = result.request;
  const fieldSelectors = [ctx.flags.string("field-selector"), names.length === 1 ? `metadata.name=${names[0]}` : undefined].filter(Boolean);
  const opts = tableOptions(ctx, info, output, false);
  let headerPrinted = result.items.length > 0 && !opts.noHeaders;
  for await (const ev of ctx.client().json.watch(info, {
    namespace: info.namespaced ? namespace : "",
    labelSelector: ctx.flags.string("selector"),
    fieldSelector: fieldSelectors.join(",") || undefined,
    resourceVersion: result.resourceVersion || undefined,
    signal: ctx.io.signal,
  })) {
    if (ev.type === "BOOKMARK") continue;
    const obj = typed(info, ev.object);
    if (names.length > 1 && !names.includes(str(obj, "metadata", "name"))) continue;
    if (output.type === "data") ctx.out(output.format === "yaml" ? `---\n${formatData(obj, "yaml")}` : formatData(obj, "json"));
    else if (output.type === "name") ctx.out(formatName(info, obj));
    else if (output.type === "jsonpath") ctx.out(output.template.execute(obj));
    else {
      const noHeaders = headerPrinted || !!opts.noHeaders;
      const rows = output.type === "custom-columns" ? customColumnRows([obj], output.columns, noHeaders) : tableRows([obj], columnsFor(info), { ...opts, now: ctx.now(), noHeaders });
      headerPrinted = true;
      ctx.out(alignTabs(rows.map((cells) => cells.join("\t")), TABLE_TABS).map((l) => `${l}\n`).join(""));
    }
  }
}

export const getCommand: Command = {
  name: "get",
  summary: "Display one or many resources.\nPrints a table of the most important information about the specified resources.",
  usage: "kpctl get [(-o|--output=)json|yaml|name|wide|jsonpath=...|custom-columns=...] (TYPE[,TYPE...] [NAME ...] | TYPE/NAME ...) [flags] [options]",
  examples: [
    "  # List all pods in the current namespace, with node and IP",
    "  kpctl get pods -o wide",
    "",
    "  # List deployments and services of every namespace",
    "  kpctl get deploy,svc -A",
    "",
    "  # Print one pod as YAML",
    "  kpctl get pod web-0 -o yaml",
    "",
    "  # Watch pods labelled app=nginx",
    "  kpctl get po -l app=nginx -w",
    "",
    "  # Names of the pods, one a line, and the running ones with their node",
    "  kpctl get pods -o jsonpath='{range .items[*]}{.metadata.name}{\"\\n\"}{end}'",
    "  kpctl get pods -o jsonpath='{.items[?(@.status.phase==\"Running\")].spec.nodeName}'",
    "",
    "  # A table of your own, sorted by creation time, with the app label as a column",
    "  kpctl get pods -o custom-columns=NAME:.metadata.name,IMAGES:.spec.containers[*].image --sort-by=.metadata.creationTimestamp",
    "  kpctl get pods -L app --show-labels",
  ].join("\n"),
  flags: [
    { name: "all-namespaces", short: "A", type: "boolean", description: "List the requested objects across all namespaces." },
    { name: "selector", short: "l", type: "string", description: "Label selector to filter on (e.g. -l key1=value1,key2 in (a,b))." },
    { name: "field-selector", type: "string", description: "Field selector to filter on (e.g. --field-selector status.phase=Running)." },
    { name: "output", short: "o", type: "string", description: "Output format: wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE." },
    { name: "sort-by", type: "string", description: "Sort the list by this JSONPath field (e.g. .metadata.name, '{.status.startTime}')." },
    { name: "show-labels", type: "boolean", description: "Show all labels as the last column of the table." },
    { name: "label-columns", short: "L", type: "strings", description: "Labels to show as columns (-L app -L tier, or -L app,tier)." },
    { name: "watch", short: "w", type: "boolean", description: "After listing the requested objects, watch for changes." },
    { name: "no-headers", type: "boolean", description: "Print tables without headers." },
  ],
  async run(ctx) {
    const output = await parseOutputFormat(ctx.flags.string("output"));
    const sortBy = ctx.flags.string("sort-by");
    const requests = resourceRequests(ctx.args);
    const allNamespaces = ctx.flags.boolean("all-namespaces");
    if (allNamespaces && requests.some((r) => r.names.length)) throw new UsageError("a resource cannot be retrieved by name across all namespaces");
    const watch = ctx.flags.boolean("watch");
    if (watch && requests.length > 1) throw new UsageError("you may only specify a single resource type to watch");
    const namespace = allNamespaces ? "" : ctx.settings.namespace;

    const results: Result[] = [];
    let failed = false;
    for (const request of requests) {
      const fetched = await fetch(ctx, request, namespace);
      if (sortBy) fetched.result.items = sortObjects(fetched.result.items, sortBy);
      results.push(fetched.result);
      failed ||= fetched.failed;
    }
    const total = results.reduce((n, r) => n + r.items.length, 0);
    const listed = requests.every((r) => r.names.length === 0);
    if (total > 0 || output.type === "data" || output.type === "jsonpath") printResults(ctx, results, output, watch);
    else if (listed && !watch) ctx.err(noResourcesMessage(ctx, results));

    const watched = results[0];
    if (watch && watched) await watchChanges(ctx, watched, output, namespace);
    return failed ? 1 : 0;
  },
};
