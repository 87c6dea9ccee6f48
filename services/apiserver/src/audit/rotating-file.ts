// A log file rotated by size, with old files pruned by count and age: kube-apiserver's lumberjack, its names and rules.
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";

const MEGABYTE = 1024 * 1024;
/** lumberjack's size when none is given (kube-apiserver's --audit-log-maxsize defaults to 0, which means this). */
export const DEFAULT_MAX_SIZE_MB = 100;

export interface RotationOptions {
  /** The live file (`/var/log/kube-apiserver/audit.log`). */
  path: string;
  /** Size in megabytes (MiB) at which the file is rotated; 0: 100. */
  maxSizeMb: number;
  /** Rotated files kept, newest first; 0: all (age permitting). */
  maxBackups: number;
  /** Days a rotated file is kept, by the time in its name; 0: no age limit. */
  maxAgeDays: number;
  /** The clock (tests). */
  now?: () => Date;
}

/** `2006-01-02T15-04-05.000` in UTC: lumberjack's backup time format (no colons, so the name is portable). */
function stamp(date: Date): string {
  return date.toISOString().slice(0, 23).replace(/:/g, "-");
}

function parseStamp(text: string): Date | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})$/.exec(text);
  if (!m) return undefined;
  const date = new Date(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The name a file rotated at `date` gets: `audit.log` → `audit-2026-12-06T16-30-00.123.log`, beside it. */
export function backupName(path: string, date: Date): string {
  const ext = extname(path);
  const prefix = basename(path, ext);
  return join(dirname(path), `${prefix}-${stamp(date)}${ext}`);
}

/** The rotated files of `path` with their times, newest first. */
export async function listBackups(path: string): Promise<{ file: string; time: Date }[]> {
  const ext = extname(path);
  const prefix = `${basename(path, ext)}-`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return [];
  }
  const backups: { file: string; time: Date }[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(ext)) continue;
    const time = parseStamp(name.slice(prefix.length, name.length - ext.length));
    if (time) backups.push({ file: join(dirname(path), name), time });
  }
  return backups.sort((a, b) => b.time.getTime() - a.time.getTime());
}

/**
 * An append-only file that rotates before a write would take it past `maxSizeMb`: the live file is
 * renamed to `backupName(path, now)` and a new one is started; then rotated files beyond
 * `maxBackups` or older than `maxAgeDays` are deleted. An existing file is appended to on open
 * (rotated first if full). A single write larger than the limit is written whole into a fresh
 * file rather than lost. Files are created 0600 (the log holds who did what). One writer at a
 * time: calls must not overlap (the log backend serialises them).
 */
export class RotatingFile {
  private handle: FileHandle | undefined;
  private size = 0;
  private readonly maxBytes: number;
  private readonly now: () => Date;

  constructor(private readonly options: RotationOptions) {
    this.maxBytes = (options.maxSizeMb > 0 ? options.maxSizeMb : DEFAULT_MAX_SIZE_MB) * MEGABYTE;
    this.now = options.now ?? (() => new Date());
  }

  /** Appends `chunks` in order, rotating between two of them where the next would not fit. */
  async write(chunks: readonly Buffer[]): Promise<void> {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for (const chunk of chunks) {
      if (!this.handle) await this.openExisting(chunk.length);
      if (this.size + batchBytes + chunk.length > this.maxBytes && this.size + batchBytes > 0) {
        await this.flushBatch(batch, batchBytes);
        batch = [];
        batchBytes = 0;
        await this.rotate();
      }
      batch.push(chunk);
      batchBytes += chunk.length;
    }
    await this.flushBatch(batch, batchBytes);
  }

  /** Closes the live file; a later write opens it again. */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private async flushBatch(batch: Buffer[], bytes: number): Promise<void> {
    if (bytes === 0) return;
    await this.handle!.writev(batch);
    this.size += bytes;
  }

  private async openExisting(nextWrite: number): Promise<void> {
    await mkdir(dirname(this.options.path), { recursive: true, mode: 0o755 });
    let existing = -1;
    try {
      existing = (await stat(this.options.path)).size;
    } catch {
      // no file yet
    }
    if (existing >= 0 && existing > 0 && existing + nextWrite > this.maxBytes) {
      await this.rotate();
      return;
    }
    this.handle = await open(this.options.path, "a", 0o600);
    this.size = Math.max(existing, 0);
  }

  private async rotate(): Promise<void> {
    await this.close();
    let date = this.now();
    // Two rotations in one millisecond would otherwise share a name and the first would be overwritten.
    for (;;) {
      try {
        await stat(backupName(this.options.path, date));
        date = new Date(date.getTime() + 1);
      } catch {
        break;
      }
    }
    try {
      await rename(this.options.path, backupName(this.options.path, date));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    this.handle = await open(this.options.path, "a", 0o600);
    this.size = 0;
    await this.prune();
  }

  /** Deletes rotated files beyond maxBackups (oldest first) and those older than maxAgeDays. */
  async prune(): Promise<void> {
    const { maxBackups, maxAgeDays } = this.options;
    if (maxBackups <= 0 && maxAgeDays <= 0) return;
    const backups = await listBackups(this.options.path);
    const cutoff = this.now().getTime() - maxAgeDays * 24 * 3600_000;
    const doomed = backups.filter((b, i) => (maxBackups > 0 && i >= maxBackups) || (maxAgeDays > 0 && b.time.getTime() < cutoff));
    await Promise.all(doomed.map((b) => unlink(b.file).catch(() => undefined)));
  }
}
