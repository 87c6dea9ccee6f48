// `kpctl api-resources`: the kinds the apiserver serves (its kinds registry), as kubectl's NAME SHORTNAMES APIVERSION NAMESPACED KIND table.
import { kindsList, type KindInfo } from "@kubeplane/api";
import { UsageError } from "../args.js";
import { alignTabs, TABLE_TABS } from "../printers/tab-writer.js";
import { qualifiedResource } from "../resource-names.js";
import type { Command } from "./command.js";

/** The verbs every kind serves, and its status and scale subresources. */
function verbs(info: KindInfo): string {
  return `[create delete get list patch update watch${info.hasStatus ? " status" : ""}${info.hasScale ? " scale" : ""}]`;
}

/** Core first, then by group, then by resource name (kubectl's order). */
export function sortedKinds(kinds: readonly KindInfo[]): KindInfo[] {
  return [...kinds].sort((a, b) => (a.group === b.group ? (a.resource < b.resource ? -1 : 1) : a.group === "" ? -1 : b.group === "" ? 1 : a.group < b.group ? -1 : 1));
}

export const apiResourcesCommand: Command = {
  name: "api-resources",
  summary: "Print the supported API resources on the server.",
  usage: "kpctl api-resources [--namespaced=true|false] [--api-group=GROUP] [-o wide|name] [--no-headers]",
  examples: ["  # Every resource, and only the cluster-scoped ones", "  kpctl api-resources", "  kpctl api-resources --namespaced=false", "", "  # The resources of the apps group, by name", "  kpctl api-resources --api-group=apps -o name"].join("\n"),
  flags: [
    { name: "namespaced", type: "string", description: "true: only namespaced resources; false: only cluster-scoped ones." },
    { name: "api-group", type: "string", description: "Limit to resources in the specified API group ('' for core)." },
    { name: "output", short: "o", type: "string", description: "Output format: wide or name." },
    { name: "no-headers", type: "boolean", description: "Print the table without headers." },
  ],
  async run(ctx) {
    const namespaced = ctx.flags.string("namespaced");
    if (namespaced !== undefined && namespaced !== "true" && namespaced !== "false") throw new UsageError(`invalid argument "${namespaced}" for "--namespaced" flag: must be true or false`);
    const output = ctx.flags.string("output") ?? "";
    if (!["", "wide", "name"].includes(output)) throw new UsageError(`--output ${output} is not available, use wide or name`);
    const group = ctx.flags.string("api-group");
    const kinds = sortedKinds(kindsList).filter((k) => (namespaced === undefined || String(k.namespaced) === namespaced) && (group === undefined || k.group === group));
    if (output === "name") {
      for (const k of kinds) ctx.out(`${qualifiedResource(k)}\n`);
      return 0;
    }
    const header = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND", ...(output === "wide" ? ["VERBS", "CATEGORIES"] : [])];
    const rows = kinds.map((k) => [k.resource, k.shortNames.join(","), k.apiVersion, String(k.namespaced), k.kind, ...(output === "wide" ? [verbs(k), k.inAll ? "all" : ""] : [])]);
    const lines = ctx.flags.boolean("no-headers") ? rows : [header, ...rows];
    ctx.out(alignTabs(lines.map((cells) => cells.join("\t")), TABLE_TABS).map((l) => `${l.trimEnd()}\n`).join(""));
    return 0;
  },
};
