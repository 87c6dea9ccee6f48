// Removes what a test containerd can leave behind when it could not clean up itself: containers, shims, mounts.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
/** runc's state dir for the CRI's containers: shared by every containerd on the machine (1.6 hard-codes /run/containerd). */
const RUNC_ROOT = "/run/containerd/runc/k8s.io";
const SHIM_SOCKET_DIR = "/run/containerd/s";

/**
 * Cleans up after a containerd whose files are all under `dir` and whose socket is `socket`, once
 * that containerd is gone: force-deletes its runc containers (killing their processes and removing
 * their cgroups; other containerds' containers have bundles elsewhere and are left alone), kills
 * its shims, and lazily unmounts everything under `dir`, deepest first. Best effort, never throws.
 */
export async function sweepContainerdLeftovers(dir: string, socket: string): Promise<void> {
  await deleteRuncContainers(dir);
  await killShims(socket);
  await unmountUnder(dir);
}

/**
 * The gRPC sockets of the containerds whose shims run as `pids` (their command lines name the
 * address). Read before killing a crashed test's processes, so its containers can be swept after.
 */
export async function shimSocketsOf(pids: readonly number[]): Promise<string[]> {
  const sockets = new Set<string>();
  for (const pid of pids) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (!argv[0]?.endsWith("containerd-shim-runc-v2")) continue;
    const socket = argv[argv.indexOf("-address") + 1];
    if (socket) sockets.add(socket);
  }
  return [...sockets];
}

interface RuncContainer {
  id: string;
  bundle: string;
}

async function deleteRuncContainers(dir: string): Promise<void> {
  let containers: RuncContainer[];
  try {
    const { stdout } = await execFileAsync("runc", ["--root", RUNC_ROOT, "list", "--format", "json"]);
    containers = (JSON.parse(stdout) as RuncContainer[] | null) ?? [];
  } catch {
    return; // No runc state at all.
  }
  for (const container of containers.filter((c) => c.bundle.startsWith(`${dir}/`))) {
    await execFileAsync("runc", ["--root", RUNC_ROOT, "delete", "--force", container.id]).catch(() => undefined);
  }
}

/**
 * Where containerd 1.6 puts a shim's socket: /run/containerd/s/<sha256 of address/namespace/id>
 * (runtime/v2/shim SocketAddress). A SIGKILLed shim leaves it behind.
 */
export function shimSocketPath(containerdAddress: string, namespace: string, id: string): string {
  return join(SHIM_SOCKET_DIR, createHash("sha256").update(join(containerdAddress, namespace, id)).digest("hex"));
}

/** SIGKILLs shims serving the containerd at `socket` (their command line names its address) and removes their sockets. */
async function killShims(socket: string): Promise<void> {
  for (const pid of await readdir("/proc").catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue;
    const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (!argv[0]?.endsWith("containerd-shim-runc-v2")) continue;
    if (argv[argv.indexOf("-address") + 1] !== socket) continue;
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // Already gone.
    }
    const id = argv[argv.indexOf("-id") + 1];
    const namespace = argv[argv.indexOf("-namespace") + 1];
    if (id && namespace) await rm(shimSocketPath(socket, namespace, id), { force: true }).catch(() => undefined);
  }
}

async function unmountUnder(dir: string): Promise<void> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  const points = mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((point): point is string => point !== undefined)
    .map((point) => point.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))))
    .filter((point) => point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) {
    await execFileAsync("umount", ["-l", point]).catch(() => undefined);
  }
}
