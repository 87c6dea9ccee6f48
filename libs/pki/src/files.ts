// File handling of the PKI directory: private (0600/0700) atomic writes and a cross-process lock.
import { AsyncLocalStorage } from "node:async_hooks";
import { chmod, mkdir, open, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { PkiLockTimeoutError } from "./errors.js";

/** Mode of every key and certificate file. */
export const fileMode = 0o600;
/** Mode of the PKI directory. */
export const dirMode = 0o700;

/** Creates the directory (and parents) and makes it 0700. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: dirMode });
  await chmod(dir, dirMode);
}

/** Writes a 0600 file by rename, so a reader sees the old or the new content, never half of it. */
export async function writePrivateFile(file: string, data: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await writeFile(tmp, data, { mode: fileMode, flag: "wx" });
    await chmod(tmp, fileMode);
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

const lockPollMs = 10;
const lockStaleMs = 60_000;
const lockWaitMs = 90_000;
/** The lock files this async context holds, so nested calls (ensure → issue) do not wait on themselves. */
const held = new AsyncLocalStorage<ReadonlySet<string>>();

/**
 * Runs `fn` holding `dir/.lock`, so that processes sharing a PKI directory (test processes
 * calling ensureClusterPki at once, an operator running kpctl) never create two CAs or write a
 * certificate of one key and a key of another. Re-entrant within one async call chain. A lock
 * whose process is gone, or older than a minute, is taken as left by a crash.
 */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lockFile = join(dir, ".lock");
  const mine = held.getStore();
  if (mine?.has(lockFile)) return await fn();
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      const handle = await open(lockFile, "wx", fileMode);
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (await isStale(lockFile)) {
        await unlink(lockFile).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) throw new PkiLockTimeoutError(lockFile, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, lockPollMs));
    }
  }
  try {
    return await held.run(new Set([...(mine ?? []), lockFile]), fn);
  } finally {
    await unlink(lockFile).catch(() => undefined);
  }
}

async function isStale(lockFile: string): Promise<boolean> {
  let info: { mtimeMs: number; pid: number };
  try {
    const [s, text] = await Promise.all([stat(lockFile), readFile(lockFile, "utf8")]);
    info = { mtimeMs: s.mtimeMs, pid: Number(text) };
  } catch {
    return false; // released meanwhile, or being written: try again
  }
  if (Date.now() - info.mtimeMs > lockStaleMs) return true;
  if (!Number.isInteger(info.pid) || info.pid <= 0 || info.pid === process.pid) return false;
  try {
    process.kill(info.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
