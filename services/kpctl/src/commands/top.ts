// `kpctl top nodes|pods`: CPU and memory usage from each node's kubelet Summary, fetched through the apiserver's node stats subresource.
import { bytes, cpuMillis, kindForResource, type KindInfo, type kubeletV1 } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { str } from "../json-fields.js";
import { alignTabs, TABLE_TABS } from "../printers/tab-writer.js";
import type { Command, CommandContext } from "./command.js";

const UNKNOWN = "<unknown>";

/** kubectl top's CPU cell: millicores, "12m". */
export function formatCpu(nanoCores: number | undefined): string {
  return nanoCores === undefined ? UNKNOWN : `${Math.round(nanoCores / 1e6)}m`;
}

/** kubectl top's memory cell: mebibytes, "34Mi". */
export function formatMemory(workingSetBytes: number | undefined): string {
  return workingSetBytes === undefined ? UNKNOWN : `${Math.round(workingSetBytes / (1024 * 1024))}Mi`;
}

function percent(used: number | undefined, of: number): string {
  return used === undefined || !of ? UNKNOWN : `${Math.round((used / of) * 100)}%`;
}

/** Each node's Summary (undefined for a node whose kubelet did not answer), fetched in parallel. */
async function summaries(ctx: CommandContext, nodeNames: readonly string[]): Promise<Map<string, kubeletV1.StatsResponse | undefined>> {
  const client = ctx.client();
  const entries = await Promise.all(
    nodeNames.map(async (name): Promise<[string, kubeletV1.StatsResponse | undefined]> => {
      try {
        return [name, await client.nodeStats(name, ctx.io.signal)];
      } catch (err) {
        // One silent kubelet leaves its rows <unknown>, as kubectl top does for missing metrics.
        ctx.err(`error: node ${name}: ${(err as Error).message}\n`);
        return [name, undefined];
      }
    }),
  );
  return new Map(entries);
}

/** The NAME CPU(cores) CPU(%) MEMORY(bytes) MEMORY(%) table of `top nodes`, percentages of allocatable. */
export function nodesTable(nodes: readonly JsonObject[], stats: ReadonlyMap<string, kubeletV1.StatsResponse | undefined>): string {
  const rows = nodes.map((node) => {
    const name = str(node, "metadata", "name");
    const usage = stats.get(name)?.node;
    const cpu = usage?.cpu?.usageNanoCores;
    const memory = usage?.memory?.workingSetBytes;
    const allocCpu = str(node, "status", "allocatable", "cpu");
    const allocMemory = str(node, "status", "allocatable", "memory");
    const cpuOf = allocCpu ? cpuMillis(allocCpu) * 1e6 : 0;
    const memoryOf = allocMemory ? bytes(allocMemory) : 0;
    return `${name}\t${formatCpu(cpu)}\t${percent(cpu, cpuOf)}\t${formatMemory(memory)}\t${percent(memory, memoryOf)}`;
  });
  return `${alignTabs(["NAME\tCPU(cores)\tCPU(%)\tMEMORY(bytes)\tMEMORY(%)", ...rows], TABLE_TABS).join("\n")}\n`;
}

/** The [NAMESPACE] NAME CPU(cores) MEMORY(bytes) table of `top pods`: pods with usage only, as kubectl shows. */
export function podsTable(pods: readonly JsonObject[], stats: ReadonlyMap<string, kubeletV1.StatsResponse | undefined>, withNamespace: boolean): string {
  const byUid = new Map<string, kubeletV1.PodStats>();
  for (const summary of stats.values()) for (const p of summary?.pods ?? []) byUid.set(p.podRef?.uid ?? "", p);
  const rows: string[] = [];
  for (const pod of pods) {
    const usage = byUid.get(str(pod, "metadata", "uid"));
    if (!usage) continue;
    const cells = [str(pod, "metadata", "name"), formatCpu(usage.cpu?.usageNanoCores), formatMemory(usage.memory?.workingSetBytes)];
    rows.push((withNamespace ? [str(pod, "metadata", "namespace"), ...cells] : cells).join("\t"));
  }
  if (rows.length === 0) return "";
  const header = withNamespace ? "NAMESPACE\tNAME\tCPU(cores)\tMEMORY(bytes)" : "NAME\tCPU(cores)\tMEMORY(bytes)";
  return `${alignTabs([header, ...rows], TABLE_TABS).join("\n")}\n`;
}

function byName(a: JsonObject, b: JsonObject): number {
  return `${str(a, "metadata", "namespace")}/${str(a, "metadata", "name")}`.localeCompare(`${str(b, "metadata", "namespace")}/${str(b, "metadata", "name")}`);
}

export const topCommand: Command = {
  name: "top",
  summary: "Display resource (CPU/memory) usage of nodes or pods.",
  usage: "kpctl top nodes|pods [NAME] [-n NAMESPACE] [-A]",
  examples: ["  # Usage of every node", "  kpctl top nodes", "", "  # Usage of the pods of namespace prod", "  kpctl top pods -n prod"].join("\n"),
  flags: [{ name: "all-namespaces", short: "A", type: "boolean", description: "List the pods' usage across all namespaces." }],
  async run(ctx) {
    const [what, name, ...extra] = ctx.args;
    const resource = what === "node" || what === "nodes" || what === "no" ? "nodes" : what === "pod" || what === "pods" || what === "po" ? "pods" : undefined;
    if (!resource || extra.length) throw new UsageError("expected `kpctl top nodes [NAME]` or `kpctl top pods [NAME]`");
    const info = kindForResource("", resource) as KindInfo;
    const all = ctx.flags.boolean("all-namespaces");
    const namespace = resource === "pods" && !all ? ctx.settings.namespace : "";
    const objects = name
      ? [await ctx.client().json.get(info, namespace, name)]
      : (await ctx.client().json.listAll(info, { namespace })).items.sort(byName);
    const nodeNames = resource === "nodes" ? objects.map((o) => str(o, "metadata", "name")) : [...new Set(objects.map((p) => str(p, "spec", "nodeName")).filter(Boolean))];
    const stats = await summaries(ctx, nodeNames);
    const table = resource === "nodes" ? nodesTable(objects, stats) : podsTable(objects, stats, all);
    if (table) ctx.out(table);
    else if (resource === "pods") ctx.err(name ? `error: metrics not available yet for pod ${namespace}/${name}\n` : all ? "No resources found\n" : `No resources found in ${namespace} namespace.\n`);
    return 0;
  },
};
