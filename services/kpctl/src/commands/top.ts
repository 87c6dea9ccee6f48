// `kpctl top nodes|pods`: CPU and memory usage from the resource metrics API (metrics.k8s.io NodeMetrics and PodMetrics), as kubectl top.
import { bytes, cpuMillis, kindForResource, nodeMetricsInfo, parseQuantity, podMetricsInfo, type KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { arr, rec, str } from "../json-fields.js";
import { alignTabs, TABLE_TABS } from "../printers/tab-writer.js";
import type { Command, CommandContext } from "./command.js";

const UNKNOWN = "<unknown>";
const nodeMetrics = nodeMetricsInfo as unknown as KindInfo;
const podMetrics = podMetricsInfo as unknown as KindInfo;

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

/** A usage map's cpu in nanocores and memory in bytes (undefined when absent). */
function usageOf(usage: Record<string, unknown>): { cpu: number | undefined; memory: number | undefined } {
  const cpu = typeof usage.cpu === "string" ? Number(parseQuantity(usage.cpu).nanos) : undefined;
  const memory = typeof usage.memory === "string" ? Number(parseQuantity(usage.memory).value()) : undefined;
  return { cpu, memory };
}

/** A PodMetrics' usage summed over its containers. */
function podUsage(m: JsonObject): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of arr(m, "containers")) {
    const u = usageOf(rec(c, "usage"));
    cpu += u.cpu ?? 0;
    memory += u.memory ?? 0;
  }
  return { cpu, memory };
}

/** The NAME CPU(cores) CPU(%) MEMORY(bytes) MEMORY(%) table of `top nodes`, percentages of allocatable; a node without metrics is <unknown>. */
export function nodesTable(nodes: readonly JsonObject[], metrics: readonly JsonObject[]): string {
  const byName = new Map(metrics.map((m) => [str(m, "metadata", "name"), usageOf(rec(m, "usage"))]));
  const rows = nodes.map((node) => {
    const name = str(node, "metadata", "name");
    const { cpu, memory } = byName.get(name) ?? { cpu: undefined, memory: undefined };
    const allocCpu = str(node, "status", "allocatable", "cpu");
    const allocMemory = str(node, "status", "allocatable", "memory");
    const cpuOf = allocCpu ? cpuMillis(allocCpu) * 1e6 : 0;
    const memoryOf = allocMemory ? bytes(allocMemory) : 0;
    return `${name}\t${formatCpu(cpu)}\t${percent(cpu, cpuOf)}\t${formatMemory(memory)}\t${percent(memory, memoryOf)}`;
  });
  return `${alignTabs(["NAME\tCPU(cores)\tCPU(%)\tMEMORY(bytes)\tMEMORY(%)", ...rows], TABLE_TABS).join("\n")}\n`;
}

/** The [NAMESPACE] NAME CPU(cores) MEMORY(bytes) table of `top pods` (with --containers: POD NAME … per container); "" when none. */
export function podsTable(metrics: readonly JsonObject[], withNamespace: boolean, containers = false): string {
  const rows: string[] = [];
  for (const m of metrics) {
    const ns = withNamespace ? [str(m, "metadata", "namespace")] : [];
    if (containers) {
      for (const c of arr(m, "containers")) {
        const u = usageOf(rec(c, "usage"));
        rows.push([...ns, str(m, "metadata", "name"), str(c, "name"), formatCpu(u.cpu), formatMemory(u.memory)].join("\t"));
      }
    } else {
      const u = podUsage(m);
      rows.push([...ns, str(m, "metadata", "name"), formatCpu(u.cpu), formatMemory(u.memory)].join("\t"));
    }
  }
  if (rows.length === 0) return "";
  const header = [...(withNamespace ? ["NAMESPACE"] : []), ...(containers ? ["POD", "NAME"] : ["NAME"]), "CPU(cores)", "MEMORY(bytes)"].join("\t");
  return `${alignTabs([header, ...rows], TABLE_TABS).join("\n")}\n`;
}

/** kubectl top's --sort-by: cpu or memory, highest first; by namespace/name otherwise. */
export function sortMetrics(items: JsonObject[], sortBy: string | undefined, usage: (m: JsonObject) => { cpu?: number | undefined; memory?: number | undefined }): JsonObject[] {
  const key = (m: JsonObject): string => `${str(m, "metadata", "namespace")}/${str(m, "metadata", "name")}`;
  if (sortBy === "cpu" || sortBy === "memory") return [...items].sort((a, b) => (usage(b)[sortBy] ?? 0) - (usage(a)[sortBy] ?? 0) || key(a).localeCompare(key(b)));
  if (sortBy) throw new UsageError(`--sort-by accepts only cpu or memory, not "${sortBy}"`);
  return [...items].sort((a, b) => key(a).localeCompare(key(b)));
}

async function topNodes(ctx: CommandContext, name: string | undefined): Promise<void> {
  const client = ctx.client().json;
  const nodesInfo = kindForResource("", "nodes") as KindInfo;
  const selector = ctx.flags.string("selector");
  const nodes = name ? [await client.get(nodesInfo, "", name)] : (await client.listAll(nodesInfo, { ...(selector ? { labelSelector: selector } : {}) })).items;
  const metrics = name ? [await client.get(nodeMetrics, "", name)] : (await client.listAll(nodeMetrics, { ...(selector ? { labelSelector: selector } : {}) })).items;
  const sorted = sortMetrics(metrics, ctx.flags.string("sort-by"), (m) => usageOf(rec(m, "usage")));
  const order = new Map(sorted.map((m, i) => [str(m, "metadata", "name"), i]));
  const rank = (n: JsonObject): number => order.get(str(n, "metadata", "name")) ?? Number.MAX_SAFE_INTEGER;
  ctx.out(nodesTable([...nodes].sort((a, b) => rank(a) - rank(b) || str(a, "metadata", "name").localeCompare(str(b, "metadata", "name"))), metrics));
}

async function topPods(ctx: CommandContext, name: string | undefined): Promise<void> {
  const all = ctx.flags.boolean("all-namespaces");
  const namespace = all ? "" : ctx.settings.namespace;
  const selector = ctx.flags.string("selector");
  const client = ctx.client().json;
  const metrics = name ? [await client.get(podMetrics, namespace, name)] : (await client.listAll(podMetrics, { namespace, ...(selector ? { labelSelector: selector } : {}) })).items;
  const table = podsTable(sortMetrics(metrics, ctx.flags.string("sort-by"), podUsage), all, ctx.flags.boolean("containers"));
  if (table) ctx.out(table);
  else ctx.err(all ? "No resources found\n" : `No resources found in ${namespace} namespace.\n`);
}

export const topCommand: Command = {
  name: "top",
  summary: "Display resource (CPU/memory) usage of nodes or pods (the metrics.k8s.io API).",
  usage: "kpctl top nodes|pods [NAME] [-n NAMESPACE] [-A] [-l SELECTOR] [--sort-by cpu|memory] [--containers]",
  examples: ["  # Usage of every node", "  kpctl top nodes", "", "  # Usage of the pods of namespace prod, busiest first", "  kpctl top pods -n prod --sort-by cpu"].join("\n"),
  flags: [
    { name: "all-namespaces", short: "A", type: "boolean", description: "List the pods' usage across all namespaces." },
    { name: "selector", short: "l", type: "string", description: "Label selector to filter on (e.g. -l app=web)." },
    { name: "sort-by", type: "string", description: "Sort by cpu or memory, highest first." },
    { name: "containers", type: "boolean", description: "top pods: one line per container." },
  ],
  async run(ctx) {
    const [what, name, ...extra] = ctx.args;
    const resource = what === "node" || what === "nodes" || what === "no" ? "nodes" : what === "pod" || what === "pods" || what === "po" ? "pods" : undefined;
    if (!resource || extra.length) throw new UsageError("expected `kpctl top nodes [NAME]` or `kpctl top pods [NAME]`");
    if (resource === "nodes") await topNodes(ctx, name);
    else await topPods(ctx, name);
    return 0;
  },
};
