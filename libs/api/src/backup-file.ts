// The backup file kpctl writes and the restore reads: etcd's snapshot as is, with its metadata and sha256 in `<file>.meta.json`.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import type { BackupMetadata } from "./gen/kubeplane/apiserver/v1/apiserver.js";

/** What `<file>.meta.json` holds: the Backup stream's metadata, and the sha256 and size of the snapshot file. */
export interface BackupFileMetadata extends BackupMetadata {
  sha256: string;
  size: number;
}

/** The metadata file beside a snapshot file. */
export function backupMetadataPath(snapshotFile: string): string {
  return `${snapshotFile}.meta.json`;
}

/** The metadata beside `snapshotFile`, or undefined when there is none (a snapshot from `etcdctl snapshot save`). */
export async function readBackupMetadata(snapshotFile: string): Promise<BackupFileMetadata | undefined> {
  let text: string;
  try {
    text = await readFile(backupMetadataPath(snapshotFile), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return JSON.parse(text) as BackupFileMetadata;
}

/** What checking a snapshot file found. */
export interface SnapshotCheck {
  size: number;
  /** sha256 of the whole file, lower-case hex. */
  sha256: string;
  /** The metadata file's sha256 matches (undefined: no metadata file). */
  checksumMatches: boolean | undefined;
  /**
   * etcd's own integrity hash: a snapshot streamed from etcd ends with the sha256 of the database
   * before it (what `etcdctl snapshot restore` verifies). Undefined when the file has no such
   * trailer (a database file copied from a data directory).
   */
  etcdHashMatches: boolean | undefined;
  metadata: BackupFileMetadata | undefined;
}

const SHA256_BYTES = 32;

/** Reads `snapshotFile` once, hashing it whole and without its last 32 bytes, and compares both hashes with what they should be. */
export async function checkSnapshotFile(snapshotFile: string): Promise<SnapshotCheck> {
  const { size } = await stat(snapshotFile);
  const metadata = await readBackupMetadata(snapshotFile);
  // etcd streams its bbolt file (whole pages, a multiple of 512 bytes) followed by the 32-byte hash.
  const hasEtcdHash = size % 512 === SHA256_BYTES;
  const whole = createHash("sha256");
  const body = createHash("sha256");
  const tail: Buffer[] = [];
  let read = 0;
  for await (const piece of createReadStream(snapshotFile) as AsyncIterable<Buffer>) {
    whole.update(piece);
    if (hasEtcdHash) {
      const bodyEnd = size - SHA256_BYTES;
      if (read < bodyEnd) body.update(piece.subarray(0, Math.min(piece.length, bodyEnd - read)));
      if (read + piece.length > bodyEnd) tail.push(piece.subarray(Math.max(0, bodyEnd - read)));
    }
    read += piece.length;
  }
  const sha256 = whole.digest("hex");
  return {
    size,
    sha256,
    checksumMatches: metadata ? metadata.sha256 === sha256 && metadata.size === size : undefined,
    etcdHashMatches: hasEtcdHash ? Buffer.concat(tail).equals(body.digest()) : undefined,
    metadata,
  };
}
