// hostPath volume type checks (the kubelet's checkType): create-if-missing kinds and must-exist kinds.

import { open, mkdir, stat } from "node:fs/promises";
import type { Stats } from "node:fs";

/** A hostPath type a check failed for, with the kubelet's wording (e.g. `hostPath type check failed: /x is not a directory`). */
export class HostPathTypeError extends Error {
  override readonly name = "HostPathTypeError";
  readonly code = "HostPathTypeMismatch";

  constructor(
    readonly path: string,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks (or creates) path for hostPath type: "" checks nothing; DirectoryOrCreate creates a missing
 * directory (0755, parents too); FileOrCreate creates a missing empty file (0644, the parent must exist);
 * Directory, File, Socket, CharDevice and BlockDevice must exist with that kind. Throws HostPathTypeError.
 */
export async function checkHostPathType(path: string, type: string | undefined): Promise<void> {
  if (!type) return;
  const info: Stats | undefined = await stat(path).catch(() => undefined);
  const fail = (what: string): never => {
    throw new HostPathTypeError(path, type, `hostPath type check failed: ${path} is not ${what}`);
  };
  switch (type) {
    case "DirectoryOrCreate":
      if (!info) return void (await mkdir(path, { recursive: true, mode: 0o755 }));
      if (!info.isDirectory()) fail("a directory");
      return;
    case "Directory":
      if (!info?.isDirectory()) fail("a directory");
      return;
    case "FileOrCreate":
      if (!info) return void (await (await open(path, "a", 0o644)).close());
      if (!info.isFile()) fail("a file");
      return;
    case "File":
      if (!info?.isFile()) fail("a file");
      return;
    case "Socket":
      if (!info?.isSocket()) fail("a socket file");
      return;
    case "CharDevice":
      if (!info?.isCharacterDevice()) fail("a character device");
      return;
    case "BlockDevice":
      if (!info?.isBlockDevice()) fail("a block device");
      return;
    default:
      throw new HostPathTypeError(path, type, `${type} is an invalid volume type`);
  }
}
