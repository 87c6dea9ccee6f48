// `kpctl chart install|upgrade|rollback`: each writes a new revision, deploys its objects, waits if asked, and with --atomic undoes a failure.
import { parseDuration, UsageError } from "../args.js";
import { KpctlError } from "../errors.js";
import type { CommandContext } from "./command.js";
import { deployObjects, manifestObjects, releaseObjects, type ReleaseObject } from "./chart-deploy.js";
import { releaseSummary, uninstallRelease } from "./chart-info.js";
import { checkReleaseName, ReleaseStore, type Release, type ReleaseStatus } from "./chart-release-store.js";
import { renderFromFlags } from "./chart-source.js";
import { waitForRelease } from "./chart-wait.js";

/** How a revision is deployed, from the flags. */
interface DeployOptions {
  wait: boolean;
  atomic: boolean;
  timeoutMs: number;
  historyMax: number;
}

function deployOptions(ctx: CommandContext): DeployOptions {
  const atomic = ctx.flags.boolean("atomic");
  const historyMax = Number(ctx.flags.string("history-max") ?? "10");
  if (!Number.isInteger(historyMax) || historyMax < 0) throw new UsageError(`invalid argument "${ctx.flags.string("history-max")}" for "--history-max" flag: must be a non-negative integer`);
  // As Helm: --atomic implies --wait, so a release that never becomes ready is rolled back.
  return { wait: atomic || ctx.flags.boolean("wait"), atomic, timeoutMs: parseDuration(ctx.flags.string("timeout") ?? "5m"), historyMax };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Per-object lines (`deployment.apps/web configured`) go to stderr with --debug only, as Helm's. */
function debugLog(ctx: CommandContext): (line: string) => void {
  return ctx.flags.boolean("debug") ? (line) => ctx.err(`${line}\n`) : () => {};
}

/**
 * Writes `rel` (pending), deploys `next` over `previous`, waits if asked, then marks it deployed
 * and the previously deployed revision superseded, and prunes history. On failure the revision is
 * marked failed (with the reason) and the error rethrown.
 */
async function runRevision(ctx: CommandContext, store: ReleaseStore, rel: Release, next: ReleaseObject[], previous: ReleaseObject[], opts: DeployOptions, done: string): Promise<Release> {
  await store.create(rel);
  try {
    await deployObjects(ctx, rel, next, previous, debugLog(ctx));
    if (opts.wait) await waitForRelease(ctx, next, opts.timeoutMs, (line) => ctx.out(`${line}\n`));
  } catch (err) {
    const failed: Release = { ...rel, info: { ...rel.info, status: "failed", description: `${done.split(" ")[0]} failed: ${message(err)}`, lastDeployed: ctx.now().toISOString() } };
    await store.update(failed);
    throw err;
  }
  for (const old of await store.history(rel.namespace, rel.name)) {
    if (old.version !== rel.version && old.info.status === "deployed") await store.update({ ...old, info: { ...old.info, status: "superseded" } });
  }
  const deployed: Release = { ...rel, info: { ...rel.info, status: "deployed", description: done, lastDeployed: ctx.now().toISOString() } };
  await store.update(deployed);
  await store.prune(rel.namespace, rel.name, opts.historyMax);
  return deployed;
}

function pendingOf(history: readonly Release[]): Release | undefined {
  const latest = history[history.length - 1];
  return latest && latest.info.status.startsWith("pending-") ? latest : undefined;
}

/** The revision whose objects are in the cluster now: the last deployed one, else the newest. */
function currentOf(history: readonly Release[]): Release | undefined {
  return [...history].reverse().find((r) => r.info.status === "deployed") ?? history[history.length - 1];
}

function newRevision(base: Omit<Release, "info">, status: ReleaseStatus, description: string, notes: string, now: Date, firstDeployed?: string): Release {
  const at = now.toISOString();
  return { ...base, info: { firstDeployed: firstDeployed ?? at, lastDeployed: at, description, status, notes } };
}

async function install(ctx: CommandContext, store: ReleaseStore, name: string, path: string, opts: DeployOptions): Promise<Release> {
  const namespace = ctx.settings.namespace;
  if ((await store.history(namespace, name)).length) throw new KpctlError(`cannot re-use a name that is still in use: release "${name}" exists in namespace "${namespace}"`, "ERELEASEEXISTS");
  const { chart, config, result } = await renderFromFlags(ctx, path, { name, namespace, revision: 1, isUpgrade: false });
  const objects = releaseObjects(result.objects, name, namespace);
  const rel = newRevision({ name, namespace, version: 1, chart: { metadata: chart.metadata }, config, manifest: result.manifest }, "pending-install", "Initial install underway", result.notes, ctx.now());
  try {
    return await runRevision(ctx, store, rel, objects, [], opts, "Install complete");
  } catch (err) {
    if (!opts.atomic) throw err;
    ctx.out(`release installation failed, uninstalling due to --atomic: ${message(err)}\n`);
    await uninstallRelease(ctx, store, await store.history(namespace, name), debugLog(ctx));
    throw new KpctlError(`INSTALLATION FAILED: release ${name} failed, and has been uninstalled due to atomic being set: ${message(err)}`, "EINSTALLFAILED", { cause: err });
  }
}

/** Deploys an earlier revision's manifest as a new revision ("Rollback to N"). */
async function rollbackTo(ctx: CommandContext, store: ReleaseStore, history: readonly Release[], target: Release, opts: DeployOptions): Promise<Release> {
  const latest = history[history.length - 1] as Release;
  const current = currentOf(history) as Release;
  const rel = newRevision(
    { name: target.name, namespace: target.namespace, version: latest.version + 1, chart: target.chart, config: target.config, manifest: target.manifest },
    "pending-rollback",
    `Rollback to ${target.version}`,
    target.info.notes,
    ctx.now(),
    history[0]?.info.firstDeployed,
  );
  const next = manifestObjects(target.manifest, target.name, target.namespace);
  const previous = manifestObjects(current.manifest, current.name, current.namespace);
  return runRevision(ctx, store, rel, next, previous, opts, `Rollback to ${target.version}`);
}

async function upgrade(ctx: CommandContext, store: ReleaseStore, name: string, path: string, opts: DeployOptions): Promise<Release> {
  const namespace = ctx.settings.namespace;
  const history = await store.history(namespace, name);
  if (pendingOf(history)) throw new KpctlError(`another operation (install/upgrade/rollback) is in progress for release "${name}"`, "ERELEASEBUSY");
  const current = currentOf(history) as Release;
  const latest = history[history.length - 1] as Release;
  const { chart, config, result } = await renderFromFlags(ctx, path, { name, namespace, revision: latest.version + 1, isUpgrade: true });
  const next = releaseObjects(result.objects, name, namespace);
  const previous = manifestObjects(current.manifest, name, namespace);
  const rel = newRevision({ name, namespace, version: latest.version + 1, chart: { metadata: chart.metadata }, config, manifest: result.manifest }, "pending-upgrade", "Preparing upgrade", result.notes, ctx.now(), history[0]?.info.firstDeployed);
  try {
    return await runRevision(ctx, store, rel, next, previous, opts, "Upgrade complete");
  } catch (err) {
    const deployed = [...history].reverse().find((r) => r.info.status === "deployed");
    if (!opts.atomic || !deployed) throw err;
    ctx.out(`upgrade failed, rolling back to revision ${deployed.version} due to --atomic: ${message(err)}\n`);
    try {
      await rollbackTo(ctx, store, await store.history(namespace, name), deployed, opts);
    } catch (rollbackErr) {
      throw new KpctlError(`UPGRADE FAILED: an error occurred while rolling back the release: ${message(rollbackErr)}; original upgrade error: ${message(err)}`, "EUPGRADEFAILED", { cause: err });
    }
    throw new KpctlError(`UPGRADE FAILED: release ${name} failed, and has been rolled back due to atomic being set: ${message(err)}`, "EUPGRADEFAILED", { cause: err });
  }
}

/** `install NAME CHART` */
export async function chartInstall(ctx: CommandContext, args: readonly string[]): Promise<number> {
  if (args.length !== 2) throw new UsageError("install takes NAME CHART");
  const [name, path] = args as [string, string];
  checkReleaseName(name);
  const rel = await install(ctx, new ReleaseStore(ctx), name, path, deployOptions(ctx));
  ctx.out(releaseSummary(rel));
  return 0;
}

/** `upgrade NAME CHART [--install]` */
export async function chartUpgrade(ctx: CommandContext, args: readonly string[]): Promise<number> {
  if (args.length !== 2) throw new UsageError("upgrade takes NAME CHART");
  const [name, path] = args as [string, string];
  checkReleaseName(name);
  const store = new ReleaseStore(ctx);
  const opts = deployOptions(ctx);
  if ((await store.history(ctx.settings.namespace, name)).length === 0) {
    if (!ctx.flags.boolean("install")) throw new KpctlError(`UPGRADE FAILED: "${name}" has no deployed releases`, "ENORELEASE");
    ctx.out(`Release "${name}" does not exist. Installing it now.\n`);
    ctx.out(releaseSummary(await install(ctx, store, name, path, opts)));
    return 0;
  }
  const rel = await upgrade(ctx, store, name, path, opts);
  ctx.out(`Release "${name}" has been upgraded.\n`);
  ctx.out(releaseSummary(rel));
  return 0;
}

/** `rollback NAME [REVISION]`: REVISION defaults to the one before the newest. */
export async function chartRollback(ctx: CommandContext, args: readonly string[]): Promise<number> {
  if (args.length < 1 || args.length > 2) throw new UsageError("rollback takes NAME [REVISION]");
  const name = args[0] as string;
  checkReleaseName(name);
  const store = new ReleaseStore(ctx);
  const history = await store.history(ctx.settings.namespace, name);
  if (history.length === 0) throw new KpctlError(`release: not found: "${name}" in namespace "${ctx.settings.namespace}"`, "ENORELEASE");
  if (pendingOf(history)) throw new KpctlError(`another operation (install/upgrade/rollback) is in progress for release "${name}"`, "ERELEASEBUSY");
  const latest = history[history.length - 1] as Release;
  const revision = args[1] === undefined || args[1] === "0" ? latest.version - 1 : Number(args[1]);
  if (!Number.isInteger(revision) || revision < 1) throw new UsageError(`invalid revision "${args[1] ?? revision}": no earlier revision to roll back to`);
  const target = history.find((r) => r.version === revision);
  if (!target) throw new KpctlError(`release has no ${revision} version (history keeps ${history.map((r) => r.version).join(", ")})`, "ENOREVISION");
  await rollbackTo(ctx, store, history, target, deployOptions(ctx));
  ctx.out("Rollback was a success.\n");
  return 0;
}
