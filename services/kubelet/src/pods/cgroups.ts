// Pod-level cgroups (cgroupfs driver, cgroup v1 and v2): each pod's containers live under
// <cgroupRoot>/pod<uid>, which the kubelet removes once the pod is gone.
import { readdir, rmdir } from "node:fs/promises";
import { join } from "node:path";

const CGROUP_FS = "/sys/fs/cgroup";

/** The cgroup parent of a pod's sandbox and containers. */
export function podCgroupParent(cgroupRoot: string, uid: string): string {
  return `${cgroupRoot.replace(/\/+$/, "")}/pod${uid}`;
}

/**
 * Removes the pod's (empty) cgroup directories in every hierarchy; a directory still holding
 * processes stays (EBUSY) and is reported, so the caller retries on its next pass.
 */
export async function removePodCgroups(cgroupRoot: string, uid: string, fsRoot = CGROUP_FS): Promise<string[]> {
  const rel = podCgroupParent(cgroupRoot, uid).replace(/^\/+/, "");
  const busy: string[] = [];
  const hierarchies = await readdir(fsRoot).catch(() => [] as string[]);
  for (const h of ["", ...hierarchies]) {
    const dir = join(fsRoot, h, rel);
    await removeTree(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT" && err.code !== "ENOTDIR") busy.push(`${dir}: ${err.code ?? err.message}`);
    });
  }
  return busy;
}

/** rmdir depth-first: cgroup directories are removed with rmdir only (their files are virtual). */
async function removeTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) if (e.isDirectory()) await removeTree(join(dir, e.name));
  await rmdir(dir);
}
