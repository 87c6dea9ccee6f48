// Writes a file atomically: a temporary sibling renamed over the target, so readers never see it half-written.

import { randomBytes } from "node:crypto";
import { rm, writeFile, rename } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Writes data to path through a temporary file in the same directory and a rename; the temp file is removed on failure. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, data, { mode });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
