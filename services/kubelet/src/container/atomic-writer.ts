// The kubelet's AtomicWriter: projects a payload of files into a volume directory so that an update is seen all at once.
//
// Layout: <dir>/..<timestamp>/ holds one version of the files, <dir>/..data -> ..<timestamp> points at the
// current one, and each top-level entry <dir>/<name> -> ..data/<name> is what containers open. An update
// writes a new timestamped directory, swaps ..data with a rename of a fresh symlink (atomic), then removes
// top-level links that left the payload and the old version.

import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rename, rm, stat, symlink, unlink, writeFile } from "node:fs/promises";
import { dirname, join, normalize, sep } from "node:path";

/** One file of a payload. */
export interface FileProjection {
  data: Uint8Array;
  mode: number;
}

const DATA_DIR = "..data";
const DATA_TMP = "..data_tmp";

function timestampPrefix(now = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  const date = `${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}`;
  return `..${date}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

/** Checks a payload path like the kubelet: relative, no `..` element, not starting with `..`. Throws on a bad one. */
export function validatePayloadPath(path: string): void {
  if (path === "" || path.startsWith("/") || path.startsWith("..") || path.split("/").includes("..")) {
    throw new Error(`invalid path ${JSON.stringify(path)}: must be relative, without '..' elements`);
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** Whether the version at dir holds exactly payload (same paths, bytes and permission bits). */
async function sameAsPayload(dir: string, payload: Map<string, FileProjection>): Promise<boolean> {
  try {
    return await compareVersion(dir, payload);
  } catch {
    return false; // an unreadable or vanished version is rewritten
  }
}

async function compareVersion(dir: string, payload: Map<string, FileProjection>): Promise<boolean> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  if (files.length !== payload.size) return false;
  for (const [path, file] of payload) {
    const full = join(dir, path);
    const info = await stat(full).catch(() => undefined);
    if (!info?.isFile() || (info.mode & 0o7777) !== file.mode) return false;
    if (!Buffer.from(file.data).equals(await readFile(full))) return false;
  }
  return true;
}

/**
 * Makes dir hold exactly payload (path -> file), atomically for readers. Returns whether anything changed.
 * Not safe for concurrent calls on the same dir: the pod's worker owns its volumes. Throws for invalid paths.
 */
export async function writeAtomically(dir: string, payload: Map<string, FileProjection>): Promise<boolean> {
  for (const path of payload.keys()) validatePayloadPath(normalize(path));
  await mkdir(dir, { recursive: true });
  const dataLink = join(dir, DATA_DIR);
  const oldVersion = await readlink(dataLink).catch(() => undefined);
  if (oldVersion !== undefined && (await sameAsPayload(join(dir, oldVersion), payload))) return false;

  const version = await mkdtemp(join(dir, timestampPrefix()));
  for (const [path, file] of payload) {
    const full = join(version, normalize(path));
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, file.data);
    await chmod(full, file.mode);
  }
  await chmod(version, 0o755);

  const versionName = version.slice(dir.length + 1);
  const tmpLink = join(dir, DATA_TMP);
  await rm(tmpLink, { force: true });
  await symlink(versionName, tmpLink);
  await rename(tmpLink, dataLink);

  const topLevel = new Set([...payload.keys()].map((p) => normalize(p).split(sep)[0] ?? p));
  for (const name of topLevel) {
    const link = join(dir, name);
    if (!(await exists(link))) await symlink(join(DATA_DIR, name), link);
  }
  for (const entry of await readdir(dir)) {
    if (entry.startsWith("..") || topLevel.has(entry)) continue;
    const info = await lstat(join(dir, entry));
    if (info.isSymbolicLink()) await unlink(join(dir, entry));
  }
  if (oldVersion !== undefined && oldVersion !== versionName) await rm(join(dir, oldVersion), { recursive: true, force: true });
  return true;
}
