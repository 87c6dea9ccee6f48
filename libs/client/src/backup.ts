// Saving a Backup stream to a file: written beside the target, checked against the stream's sha256, then renamed into place.
import { createHash } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { backupMetadataPath, type apiserverV1, type BackupFileMetadata } from "@kubeplane/api";

/** Progress of a save: bytes written so far, and the time since the call started. */
export interface BackupProgress {
  bytes: number;
  elapsedMs: number;
  metadata: apiserverV1.BackupMetadata;
}

/** A Backup stream that broke its contract (no metadata first, no checksum last, a checksum that does not match). */
export class BackupStreamError extends Error {
  constructor(
    message: string,
    readonly code: "no-metadata" | "no-checksum" | "checksum-mismatch" | "size-mismatch",
  ) {
    super(message);
    this.name = "BackupStreamError";
  }
}

/**
 * Writes the snapshot of `chunks` (ApiClient.backup) to `file` and its metadata, sha256 and size
 * to `<file>.meta.json`. Both are written to `.partial` files, fsynced, and renamed into place only
 * after the sha256 the apiserver sent matches what was received, so `file` is either the whole,
 * checked snapshot or untouched. Throws BackupStreamError (partial files removed) or the
 * stream's ApiError. `onProgress` is called after each chunk written.
 */
export async function saveBackup(
  chunks: AsyncIterable<apiserverV1.BackupChunk>,
  file: string,
  onProgress?: (progress: BackupProgress) => void,
): Promise<BackupFileMetadata> {
  const started = performance.now();
  const partial = `${file}.partial`;
  const metaFile = backupMetadataPath(file);
  const metaPartial = `${metaFile}.partial`;
  const out = await open(partial, "w", 0o600); // a backup holds every Secret: owner-only
  try {
    const hash = createHash("sha256");
    let metadata: apiserverV1.BackupMetadata | undefined;
    let bytes = 0;
    let trailer: { sha256: string; size: number } | undefined;
    for await (const chunk of chunks) {
      if (chunk.metadata) {
        metadata = chunk.metadata;
        continue;
      }
      if (!metadata) throw new BackupStreamError("the backup stream did not start with its metadata", "no-metadata");
      if (chunk.data.length) {
        hash.update(chunk.data);
        await out.write(chunk.data);
        bytes += chunk.data.length;
        onProgress?.({ bytes, elapsedMs: performance.now() - started, metadata });
      }
      if (chunk.sha256) trailer = { sha256: chunk.sha256, size: chunk.size };
    }
    if (!metadata) throw new BackupStreamError("the backup stream was empty", "no-metadata");
    if (!trailer) throw new BackupStreamError(`the backup stream ended after ${bytes} bytes without its checksum (cut short)`, "no-checksum");
    const sha256 = hash.digest("hex");
    if (sha256 !== trailer.sha256) throw new BackupStreamError(`sha256 of the received bytes ${sha256} differs from the apiserver's ${trailer.sha256}`, "checksum-mismatch");
    if (bytes !== trailer.size) throw new BackupStreamError(`received ${bytes} bytes, the apiserver sent ${trailer.size}`, "size-mismatch");
    await out.sync();
    await out.close();
    const fileMetadata: BackupFileMetadata = { ...metadata, sha256, size: bytes };
    const meta = await open(metaPartial, "w", 0o600);
    try {
      await meta.write(`${JSON.stringify(fileMetadata, null, 2)}\n`);
      await meta.sync();
    } finally {
      await meta.close();
    }
    await rename(partial, file);
    await rename(metaPartial, metaFile);
    return fileMetadata;
  } catch (err) {
    await out.close().catch(() => undefined);
    await rm(partial, { force: true });
    await rm(metaPartial, { force: true });
    throw err;
  }
}
