// `kpctl chart list|history|status|uninstall`: reading release records, and removing a release with all its objects.
import { UsageError } from "../args.js";
import { KpctlError } from "../errors.js";
import { alignTabs, TABLE_TABS } from "../printers/tab-writer.js";
import type { CommandContext } from "./command.js";
import { deleteObjects, manifestObjects, objectKey, type ReleaseObject } from "./chart-deploy.js";
import { checkReleaseName, ReleaseStore, type Release } from "./chart-release-store.js";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Go's time.ANSIC in UTC ("Sun Dec  6 13:13:37 2026"), as Helm prints LAST DEPLOYED and history's UPDATED. */
export function ansic(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

function table(rows: string[][]): string {
  return alignTabs(rows.map((r) => r.join("\t")), TABLE_TABS).map((l) => `${l.trimEnd()}\n`).join("");
}

/** The block install, upgrade and status print: Helm's NAME / LAST DEPLOYED / NAMESPACE / STATUS / REVISION / NOTES. */
export function releaseSummary(rel: Release): string {
  const lines = [
    `NAME: ${rel.name}`,
    `LAST DEPLOYED: ${ansic(rel.info.lastDeployed)}`,
    `NAMESPACE: ${rel.namespace}`,
    `STATUS: ${rel.info.status}`,
    `REVISION: ${rel.version}`,
  ];
  if (rel.info.description && rel.info.status === "failed") lines.push(`DESCRIPTION: ${rel.info.description}`);
  let out = `${lines.join("\n")}\n`;
  if (rel.info.notes.trim()) out += `NOTES:\n${rel.info.notes.replace(/\n*$/, "\n")}`;
  return out;
}

function chartLabel(rel: Release): string {
  return `${rel.chart.metadata.name}-${rel.chart.metadata.version}`;
}

/** The records of a release, or a KpctlError "release: not found" as Helm words it. */
export async function requireHistory(store: ReleaseStore, namespace: string, name: string): Promise<Release[]> {
  checkReleaseName(name);
  const all = await store.history(namespace, name);
  if (all.length === 0) throw new KpctlError(`release: not found: "${name}" in namespace "${namespace}"`, "ENORELEASE");
  return all;
}

function oneName(args: readonly string[], sub: string): string {
  if (args.length !== 1) throw new UsageError(`${sub} takes one release NAME`);
  return args[0] as string;
}

/** `list [-A]`: the newest revision of each release. */
export async function chartList(ctx: CommandContext, args: readonly string[]): Promise<number> {
  if (args.length) throw new UsageError("list takes no arguments");
  const all = ctx.flags.boolean("all-namespaces");
  const releases = await new ReleaseStore(ctx).latestOfEach(all ? "" : ctx.settings.namespace);
  const rows = [["NAME", "NAMESPACE", "REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION"]];
  for (const r of releases) rows.push([r.name, r.namespace, String(r.version), ansic(r.info.lastDeployed), r.info.status, chartLabel(r), r.chart.metadata.appVersion ?? ""]);
  ctx.out(table(rows));
  return 0;
}

/** `history NAME`: every stored revision, oldest first, with Helm's columns. */
export async function chartHistory(ctx: CommandContext, args: readonly string[]): Promise<number> {
  const history = await requireHistory(new ReleaseStore(ctx), ctx.settings.namespace, oneName(args, "history"));
  const rows = [["REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION"]];
  for (const r of history) rows.push([String(r.version), ansic(r.info.lastDeployed), r.info.status, chartLabel(r), r.chart.metadata.appVersion ?? "", r.info.description]);
  ctx.out(table(rows));
  return 0;
}

/** `status NAME`: the newest revision's summary and notes. */
export async function chartStatus(ctx: CommandContext, args: readonly string[]): Promise<number> {
  const history = await requireHistory(new ReleaseStore(ctx), ctx.settings.namespace, oneName(args, "status"));
  ctx.out(releaseSummary(history[history.length - 1] as Release));
  return 0;
}

/**
 * Deletes the objects of the newest revision and of the last deployed one (a failed upgrade may
 * have left either), in uninstall order, then every record. Used by `uninstall` and by a failed
 * `install --atomic`.
 */
export async function uninstallRelease(ctx: CommandContext, store: ReleaseStore, history: readonly Release[], log: (line: string) => void): Promise<void> {
  const latest = history[history.length - 1] as Release;
  await store.update({ ...latest, info: { ...latest.info, status: "uninstalling", description: "Deletion in progress" } });
  const deployed = [...history].reverse().find((r) => r.info.status === "deployed");
  const objects = new Map<string, ReleaseObject>();
  for (const r of [latest, ...(deployed ? [deployed] : [])]) {
    for (const o of manifestObjects(r.manifest, r.name, r.namespace)) objects.set(objectKey(o), o);
  }
  await deleteObjects(ctx, [...objects.values()], log);
  for (const r of history) await store.remove(r);
}

/** `uninstall NAME`: the release's objects, then its records. */
export async function chartUninstall(ctx: CommandContext, args: readonly string[], log: (line: string) => void): Promise<number> {
  const store = new ReleaseStore(ctx);
  const name = oneName(args, "uninstall");
  await uninstallRelease(ctx, store, await requireHistory(store, ctx.settings.namespace, name), log);
  ctx.out(`release "${name}" uninstalled\n`);
  return 0;
}
