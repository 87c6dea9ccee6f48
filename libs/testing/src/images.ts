// Builds the busybox and pause OCI images (infra/scripts/build-busybox-image.sh) and pushes them to a test registry.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { trackDir, untrackDir } from "./process-registry.js";

const execFileAsync = promisify(execFile);
const BUILD_SCRIPT = join("infra", "scripts", "build-busybox-image.sh");

/** Thrown when building or pushing an image fails; `cause` is the exec error (its stderr is in the message). */
export class ImageError extends Error {
  override readonly name = "ImageError";
  readonly code = "IMAGE_FAILED";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** An OCI image layout on disk. */
export interface ImageLayout {
  /** The layout directory (oci-layout, index.json, blobs/). */
  readonly dir: string;
  /** The reference recorded in index.json, e.g. docker.io/library/busybox:1.36. */
  readonly name: string;
  /** The manifest digest (sha256:…): the same for every build of the same busybox. */
  readonly digest: string;
  /** Removes the layout directory. Idempotent. */
  remove(): Promise<void>;
}

/** Options of `buildBusyboxImage`. */
export interface BuildImageOptions {
  /** Build the pause (sandbox) image instead of busybox. */
  pause?: boolean;
  /** The reference recorded in the layout; the script's default otherwise. */
  name?: string;
}

/** The reference the pause image is built under unless told otherwise. */
export const PAUSE_IMAGE = "docker.io/kubeplane/pause:3.9";
/** The reference the busybox image is built under unless told otherwise. */
export const BUSYBOX_IMAGE = "docker.io/library/busybox:1.36";

/** Builds an image layout in a new temp dir with the project's script (well under a second). */
export async function buildBusyboxImage(opts: BuildImageOptions = {}): Promise<ImageLayout> {
  const name = opts.name ?? (opts.pause ? PAUSE_IMAGE : BUSYBOX_IMAGE);
  const parent = await mkdtemp(join(tmpdir(), "kubeplane-image-"));
  trackDir(parent);
  const dir = join(parent, "layout");
  const args = [dir, "--name", name, ...(opts.pause ? ["--pause"] : [])];
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(join(repoRoot(), BUILD_SCRIPT), args));
  } catch (error) {
    await rm(parent, { recursive: true, force: true });
    untrackDir(parent);
    throw new ImageError(`${BUILD_SCRIPT} ${args.join(" ")} failed: ${stderrOf(error)}`, { cause: error });
  }
  let removed: Promise<void> | undefined;
  return {
    dir,
    name,
    digest: stdout.trim(),
    remove: () =>
      (removed ??= (async () => {
        await rm(parent, { recursive: true, force: true });
        untrackDir(parent);
      })()),
  };
}

/**
 * Copies an image layout to `<registryHost>/<repository:tag>` (plain HTTP) with skopeo, e.g.
 * `pushImage(registry.host, layout.dir, "library/busybox:1.36")`, which pods then pull as
 * `docker.io/library/busybox:1.36` through a mirror or as `127.0.0.1:PORT/library/busybox:1.36`.
 */
export async function pushImage(registryHost: string, layoutDir: string, repositoryAndTag: string): Promise<void> {
  const dest = `docker://${registryHost}/${repositoryAndTag}`;
  try {
    await execFileAsync("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `oci:${layoutDir}`, dest]);
  } catch (error) {
    throw new ImageError(`skopeo copy to ${dest} failed: ${stderrOf(error)}`, { cause: error });
  }
}

/** The repository root: the nearest ancestor of this file holding the build script (source or dist). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, BUILD_SCRIPT))) {
    const parent = dirname(dir);
    if (parent === dir) throw new ImageError(`${BUILD_SCRIPT} not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

function stderrOf(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  return typeof stderr === "string" && stderr.trim() ? stderr.trim() : error instanceof Error ? error.message : String(error);
}
