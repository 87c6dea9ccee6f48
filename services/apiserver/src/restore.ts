// Restoring etcd from a backup, step by step: prepare the snapshot (revision bumped, history marked compacted), reset the watch stream, restore every member.
import { execFile, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, rename, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { checkSnapshotFile } from "@kubeplane/api";
import { advanceRevision, EtcdStore, isCompacted, snapshotStream } from "@kubeplane/storage";
import { KP_WATCH } from "@kubeplane/watch";
import type { JetStreamManager } from "nats";

const run = promisify(execFile);

/** Progress lines for the operator. */
export type RestoreLog = (message: string) => void;

/** A named Error for a restore step that cannot go on; `code` names the step. */
export class RestoreError extends Error {
  constructor(
    message: string,
    readonly code: "checksum" | "prepare" | "members" | "watch-stream",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "RestoreError";
  }
}

export interface PrepareOptions {
  /** The backup (etcd's snapshot, from `kpctl backup save` or `etcdctl snapshot save`). */
  snapshot: string;
  /** Where to write the prepared snapshot every member is then restored from. */
  out: string;
  /** How far past the snapshot's revision the restored revision goes (etcdutl's --bump-revision). */
  bumpRevision: number;
  /** The highest revision clients may have seen (the live cluster's, when known): the restored revision goes past it too. */
  minRevision?: number | undefined;
  log?: RestoreLog;
}

export interface PreparedSnapshot {
  /** The backup's revision. */
  snapshotRevision: number;
  /** The prepared snapshot's revision: every earlier one is compacted. */
  revision: number;
}

/**
 * Checks the backup (its sha256 against its metadata file, and etcd's own hash), then makes the
 * snapshot a restore uses: what `etcdutl snapshot restore --bump-revision N --mark-compacted` does,
 * with only etcd's API, as Debian 12's etcd 3.4 has no etcdutl. The backup is restored into a
 * private single-member etcd on loopback, its revision is moved on to the snapshot's plus
 * `bumpRevision` (and past `minRevision`), everything before is compacted, and that etcd's
 * snapshot is saved to `out`. So after the restore every resourceVersion is newer than any a
 * client saw before it, and a watch or read at an older one is told its revision was compacted
 * (Kubernetes clients then relist). Costs one etcd write per revision bumped.
 */
export async function prepareSnapshot(opts: PrepareOptions): Promise<PreparedSnapshot> {
  const log = opts.log ?? (() => undefined);
  const check = await checkSnapshotFile(opts.snapshot);
  if (check.checksumMatches === false) throw new RestoreError(`${opts.snapshot}: sha256 ${check.sha256} does not match its metadata file's ${check.metadata?.sha256}`, "checksum");
  if (check.etcdHashMatches === false) throw new RestoreError(`${opts.snapshot}: etcd's integrity hash at the end of the file does not match (truncated or corrupt)`, "checksum");
  log(`snapshot ${opts.snapshot}: ${check.size} bytes, sha256 ${check.sha256}${check.checksumMatches ? " (matches its metadata)" : " (no metadata file)"}`);

  const work = await mkdtemp(join(tmpdir(), "kubeplane-restore-"));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const dataDir = join(work, "data");
  let etcd: ReturnType<typeof spawn> | undefined;
  let store: EtcdStore | undefined;
  try {
    await etcdctlRestore(opts.snapshot, { name: "restore", peerUrl, dataDir }, `restore=${peerUrl}`, "kubeplane-restore", check.etcdHashMatches === undefined);
    etcd = spawn("etcd", [
      "--name=restore",
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=restore=${peerUrl}`,
      "--logger=zap",
      `--log-outputs=${join(work, "etcd.log")}`,
    ], { stdio: "ignore", env: withoutEtcdEnv() });
    const exited = new Promise<never>((_, reject) => etcd!.once("exit", (code) => reject(new RestoreError(`the private etcd exited (${code}); see ${join(work, "etcd.log")}`, "prepare"))));
    exited.catch(() => undefined);
    store = EtcdStore.connect({ endpoints: [clientUrl] });
    const snapshotRevision = await Promise.race([untilServing(store), exited]);
    const target = Math.max(snapshotRevision + opts.bumpRevision, (opts.minRevision ?? 0) + 1);
    log(`snapshot revision ${snapshotRevision}; moving the revision on to ${target}`);
    const started = performance.now();
    const reached = await Promise.race([advanceRevision(store, target), exited]);
    const seconds = (performance.now() - started) / 1000;
    log(`revision ${reached} reached in ${seconds.toFixed(1)} s (${Math.round((reached - snapshotRevision) / Math.max(seconds, 0.001))} revisions/s); compacting everything before it`);
    try {
      await store.compact(reached);
    } catch (err) {
      if (!isCompacted(err)) throw err;
    }
    const partial = `${opts.out}.partial`;
    await pipeline(await snapshotStream(store), createWriteStream(partial, { mode: 0o600 }));
    await rename(partial, opts.out);
    log(`prepared snapshot ${opts.out} (${(await stat(opts.out)).size} bytes) at revision ${reached}`);
    return { snapshotRevision, revision: reached };
  } finally {
    store?.close();
    if (etcd && etcd.exitCode === null) {
      const gone = new Promise((resolve) => etcd!.once("exit", resolve));
      etcd.kill("SIGTERM");
      await gone;
    }
    await rm(work, { recursive: true, force: true });
  }
}

/** One member of the cluster being restored: its name and peer URL as before, and the data directory to create. */
export interface EtcdMemberSpec {
  name: string;
  peerUrl: string;
  dataDir: string;
}

/**
 * Restores every member from the same prepared snapshot (`etcdctl snapshot restore` with the
 * cluster's member names and peer URLs, so the members form one new cluster with the old
 * addresses). A member's existing data directory is moved aside to `<dataDir>.pre-restore-<time>`,
 * never deleted. etcd must be stopped on every member first.
 */
export async function restoreMembers(opts: { snapshot: string; members: EtcdMemberSpec[]; token: string; log?: RestoreLog }): Promise<{ movedAside: string[] }> {
  const log = opts.log ?? (() => undefined);
  const initialCluster = opts.members.map((m) => `${m.name}=${m.peerUrl}`).join(",");
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const movedAside: string[] = [];
  for (const member of opts.members) {
    if (await exists(member.dataDir)) {
      const aside = `${member.dataDir}.pre-restore-${stamp}`;
      await rename(member.dataDir, aside);
      movedAside.push(aside);
      log(`member ${member.name}: old data moved to ${aside}`);
    }
    await etcdctlRestore(opts.snapshot, member, initialCluster, opts.token, false);
    log(`member ${member.name}: restored into ${member.dataDir} (peer ${member.peerUrl})`);
  }
  return { movedAside };
}

/**
 * Empties the watch stream (JetStream purge: its sequence numbers go on) while no apiserver runs.
 * The next watch publisher then finds it empty, publishes a gap marker at etcd's (restored)
 * revision and goes on from there; every consumer sees its stream's messages discarded and the gap,
 * and relists. Returns how many messages were purged (0 when the stream does not exist: the
 * apiserver creates it).
 */
export async function resetWatchStream(jsm: JetStreamManager, log?: RestoreLog): Promise<number> {
  try {
    await jsm.streams.info(KP_WATCH);
  } catch (err) {
    if (/stream not found/i.test(String((err as Error).message))) {
      log?.(`watch stream ${KP_WATCH} does not exist; nothing to reset`);
      return 0;
    }
    throw new RestoreError(`watch stream ${KP_WATCH}: ${(err as Error).message}`, "watch-stream", { cause: err });
  }
  const res = await jsm.streams.purge(KP_WATCH);
  log?.(`watch stream ${KP_WATCH}: ${res.purged} messages purged`);
  return res.purged;
}

async function etcdctlRestore(snapshot: string, member: EtcdMemberSpec, initialCluster: string, token: string, skipHashCheck: boolean): Promise<void> {
  await rm(member.dataDir, { recursive: true, force: true }).catch(() => undefined);
  try {
    await run("etcdctl", [
      "snapshot", "restore", snapshot,
      `--name=${member.name}`,
      `--data-dir=${member.dataDir}`,
      `--initial-cluster=${initialCluster}`,
      `--initial-cluster-token=${token}`,
      `--initial-advertise-peer-urls=${member.peerUrl}`,
      ...(skipHashCheck ? ["--skip-hash-check"] : []),
    ], { env: { ...withoutEtcdEnv(), ETCDCTL_API: "3" }, cwd: dirname(member.dataDir) });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new RestoreError(`etcdctl snapshot restore for member ${member.name} failed: ${stderr.trim() || (err as Error).message}`, "members", { cause: err });
  }
}

/** The environment without ETCD_* / ETCDCTL_* variables (etcd and etcdctl read them as flags). */
function withoutEtcdEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ETCD")));
}

async function untilServing(store: EtcdStore): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await store.currentRevision();
    } catch (err) {
      if (Date.now() > deadline) throw new RestoreError("the private etcd did not serve within 20 s", "prepare", { cause: err });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
