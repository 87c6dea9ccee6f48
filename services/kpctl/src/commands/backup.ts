// `kpctl backup save|inspect`: an online etcd snapshot through the apiserver, and what a backup file holds.
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { backupMetadataPath, checkSnapshotFile, type apiserverV1 } from "@kubeplane/api";
import { saveBackup, type BackupProgress } from "@kubeplane/client";
import { UsageError } from "../args.js";
import type { KpctlClient } from "../cli-io.js";
import { KpctlError } from "../errors.js";
import { formatData } from "../printers/yaml-json.js";
import type { Command, CommandContext } from "./command.js";

/** ApiClient has `backup`; test fakes may not. */
type BackupClient = KpctlClient & { backup?(signal?: AbortSignal): AsyncIterable<apiserverV1.BackupChunk> };

const MiB = 1024 * 1024;

function progressLine(p: BackupProgress): string {
  const seconds = Math.max(p.elapsedMs / 1000, 0.001);
  return `${(p.bytes / MiB).toFixed(1)} MiB, ${(p.bytes / MiB / seconds).toFixed(1)} MiB/s`;
}

/** Scheduled snapshots' names: their UTC time, so name order is time order. */
const SCHEDULED = /^kubeplane-etcd-\d{8}T\d{6}Z\.db$/;

function scheduledName(now: Date): string {
  return `kubeplane-etcd-${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}.db`;
}

/** Removes all but the newest `keep` scheduled snapshots in `dir` (and their metadata files); returns the names removed. */
async function prune(dir: string, keep: number): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => SCHEDULED.test(n)).sort().reverse();
  const removed = names.slice(keep);
  for (const n of removed) {
    await rm(join(dir, n), { force: true });
    await rm(backupMetadataPath(join(dir, n)), { force: true });
  }
  return removed;
}

async function save(ctx: CommandContext): Promise<number> {
  const dir = ctx.flags.string("dir");
  const keepFlag = ctx.flags.string("keep");
  let file = ctx.flags.string("output");
  if (ctx.args.length > 1) throw new UsageError(`unexpected argument "${ctx.args[1]}"`);
  if (dir && file) throw new UsageError("give either -o FILE or --dir DIR, not both");
  if (keepFlag !== undefined && !dir) throw new UsageError("--keep needs --dir");
  const keep = keepFlag === undefined ? undefined : Number(keepFlag);
  if (keep !== undefined && !(Number.isSafeInteger(keep) && keep >= 1)) throw new UsageError(`--keep must be a positive integer, got "${keepFlag}"`);
  if (dir) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    file = join(dir, scheduledName(ctx.now()));
  }
  if (!file) throw new UsageError("backup save needs -o FILE or --dir DIR");
  const client = ctx.client() as BackupClient;
  if (!client.backup) throw new KpctlError("this client cannot take backups", "ENOBACKUP");
  let lastReport = 0;
  const meta = await saveBackup(client.backup(ctx.io.signal), file, (p) => {
    if (p.elapsedMs - lastReport < 500) return;
    lastReport = p.elapsedMs;
    ctx.err(`${progressLine(p)}\n`);
  });
  ctx.err(`saved ${file}: ${meta.size} bytes, sha256 ${meta.sha256} (verified), etcd revision ${meta.revision}, ${meta.keyCount} keys\n`);
  if (dir && keep !== undefined) {
    const removed = await prune(dir, keep);
    if (removed.length) ctx.err(`removed ${removed.length} older snapshot(s) beyond the newest ${keep}: ${removed.join(", ")}\n`);
  }
  return 0;
}

async function inspect(ctx: CommandContext): Promise<number> {
  const file = ctx.args[1];
  if (!file) throw new UsageError("backup inspect needs a FILE");
  const output = ctx.flags.string("output");
  if (output !== undefined && output !== "yaml" && output !== "json") throw new UsageError("--output must be 'yaml' or 'json' for inspect");
  const check = await checkSnapshotFile(file);
  const ok = check.checksumMatches !== false && check.etcdHashMatches !== false;
  if (output) {
    ctx.out(formatData({ file, size: check.size, sha256: check.sha256, checksumMatches: check.checksumMatches ?? null, etcdHashMatches: check.etcdHashMatches ?? null, metadata: check.metadata ?? null }, output));
    return ok ? 0 : 1;
  }
  const m = check.metadata;
  const verdict = (v: boolean | undefined, absent: string): string => (v === undefined ? absent : v ? "OK" : "MISMATCH");
  const rows: [string, string][] = [
    ["File", file],
    ["Size", `${check.size} bytes`],
    ["SHA256", check.sha256],
    ["Checksum", verdict(check.checksumMatches, "unknown (no metadata file)")],
    ["etcd hash", verdict(check.etcdHashMatches, "absent (not a streamed snapshot)")],
  ];
  if (m) {
    rows.push(["Revision", String(m.revision)], ["Keys", String(m.keyCount)], ["Created", m.created], ["etcd version", m.etcdVersion], ["etcd members", String(m.memberCount)], ["etcd cluster", m.clusterId], ["Kubeplane version", m.kubeplaneVersion]);
  }
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  ctx.out(rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}\n`).join(""));
  return ok ? 0 : 1;
}

export const backupCommand: Command = {
  name: "backup",
  summary: "Save an online backup of the cluster's etcd through the apiserver, or inspect a backup file.",
  usage: "kpctl backup save (-o FILE | --dir DIR [--keep N]) | kpctl backup inspect FILE [-o yaml|json]",
  examples: [
    "  # Save a backup (needs get on the non-resource path /backup/etcd-snapshot: cluster-admin)",
    "  kpctl backup save -o /var/backups/kubeplane-$(date +%F).db",
    "",
    "  # A scheduled snapshot with retention (what the kubeplane chart's kp-etcd-backup.timer runs)",
    "  kpctl backup save --dir /var/lib/kubeplane/backups --keep 5",
    "",
    "  # Check a backup file and print its metadata",
    "  kpctl backup inspect /var/backups/kubeplane-2026-12-06.db",
  ].join("\n"),
  flags: [
    { name: "output", short: "o", type: "string", value: "FILE", description: "save: the file to write (FILE.meta.json is written beside it). inspect: 'yaml' or 'json'." },
    { name: "dir", type: "string", value: "DIR", description: "save: write kubeplane-etcd-<UTC time>.db into DIR instead of -o (scheduled snapshots)." },
    { name: "keep", type: "string", value: "N", description: "save --dir: then remove all but the newest N scheduled snapshots in DIR (retention)." },
  ],
  async run(ctx) {
    switch (ctx.args[0]) {
      case "save":
        return save(ctx);
      case "inspect":
        return inspect(ctx);
      default:
        throw new UsageError(ctx.args[0] ? `unknown backup subcommand "${ctx.args[0]}" (save, inspect)` : "backup needs a subcommand: save or inspect");
    }
  },
};
