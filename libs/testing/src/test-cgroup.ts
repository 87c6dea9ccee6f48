// cgroup v2 groups for test processes, so that nftables can tell one process's loopback traffic from another's.
import { existsSync, readdirSync, rmdirSync } from "node:fs";
import { mkdir, readFile, rmdir } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join, relative } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** Where nft resolves `socket cgroupv2` paths from. */
const NFT_CGROUP_BASE = "/sys/fs/cgroup";
/** Every test group lives under this directory of the v2 hierarchy (found lazily: hybrid hosts mount it at unified/). */
const GROUPS_DIR = "kubeplane-tests";

/** Thrown when the cgroup v2 hierarchy is missing or a group cannot be made. */
export class TestCgroupError extends Error {
  override readonly name = "TestCgroupError";
  readonly code = "TEST_CGROUP_FAILED";
}

/**
 * A cgroup v2 group made for one test process (an etcd member, a service). Processes started
 * through `wrap` join it before they run, so every socket they open belongs to it; `Partitioner.isolate`
 * then drops exactly their traffic. Cgroups are global (not per network namespace): `remove` it, and
 * enterTestNetns removes what a crashed test left.
 */
export interface TestCgroup {
  /** Absolute directory in the v2 hierarchy. */
  readonly dir: string;
  /** The path as nft's `socket cgroupv2` takes it (relative to /sys/fs/cgroup). */
  readonly nftPath: string;
  /** Its depth below the v2 root (nft's `level`). */
  readonly level: number;
  /** The argv that runs `command args` inside the group: a shell joins it, then execs (same pid). */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
  /** The pids in the group now. */
  pids(): Promise<number[]>;
  /** Removes the group once its processes are gone (waits up to 5 s); idempotent. */
  remove(): Promise<void>;
}

function v2Root(): string {
  for (const dir of [join(NFT_CGROUP_BASE, "unified"), NFT_CGROUP_BASE]) {
    if (existsSync(join(dir, "cgroup.procs")) && existsSync(join(dir, "cgroup.subtree_control"))) return dir;
  }
  throw new TestCgroupError("no cgroup v2 hierarchy under /sys/fs/cgroup");
}

/** Creates a group named after the test's network namespace (KUBEPLANE_TEST_NETNS), `name` and a random suffix. */
export async function createTestCgroup(name: string): Promise<TestCgroup> {
  const root = v2Root();
  const owner = process.env.KUBEPLANE_TEST_NETNS ?? "kp-t";
  const dir = join(root, GROUPS_DIR, `${owner}-${name}-${randomBytes(3).toString("hex")}`);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new TestCgroupError(`cannot create cgroup ${dir}`, { cause: error });
  }
  const procs = join(dir, "cgroup.procs");
  let removed = false;
  const pids = async (): Promise<number[]> =>
    (await readFile(procs, "utf8").catch(() => ""))
      .split("\n")
      .filter((l) => l !== "")
      .map(Number);
  return {
    dir,
    nftPath: relative(NFT_CGROUP_BASE, dir),
    level: relative(root, dir).split("/").length,
    wrap(command, args) {
      return { command: "/bin/sh", args: ["-c", `echo $$ > '${procs}' && exec "$0" "$@"`, command, ...args] };
    },
    pids,
    async remove() {
      if (removed) return;
      for (let i = 0; i < 50 && (await pids()).length > 0; i++) await sleep(100);
      try {
        await rmdir(dir);
        removed = true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") removed = true;
        else throw new TestCgroupError(`cannot remove cgroup ${dir} (pids ${(await pids()).join(",")})`, { cause: error });
      }
    },
  };
}

/** Removes the (empty) groups a test in network namespace `owner` left behind; best effort, for enterTestNetns. */
export function removeTestCgroupsOf(owner: string): void {
  let root: string;
  try {
    root = join(v2Root(), GROUPS_DIR);
    for (const entry of readdirSync(root).filter((e) => e.startsWith(`${owner}-`))) {
      try {
        rmdirSync(join(root, entry));
      } catch {
        // Still has processes (they were just killed) or already gone.
      }
    }
  } catch {
    // No v2 hierarchy or no groups.
  }
}
