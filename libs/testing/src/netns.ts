// Runs a test file inside a network namespace of its own, and creates/deletes extra namespaces for tests.
import { spawn, execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, unlinkSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { shimSocketsOf, sweepContainerdLeftovers } from "./containerd-sweep.js";
import { removeTestCgroupsOf } from "./test-cgroup.js";

const execFileAsync = promisify(execFile);

/** Set in the re-executed child: the name of the namespace it runs in. */
const NETNS_ENV = "KUBEPLANE_TEST_NETNS";
const NETNS_DIR = "/run/netns";
const forwardedSignals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Thrown when an `ip netns` command fails; `code` is stable, `cause` is the exec error. */
export class NetnsError extends Error {
  override readonly name = "NetnsError";
  readonly code = "NETNS_FAILED";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Makes the calling test file run inside a fresh network namespace; call it (awaited) as the
 * file's first statement with `import.meta.url`.
 *
 * In the outer process it creates `kp-t-<random>` (loopback up), re-executes the same file with
 * the same node and flags inside it, with stdio inherited (so `node --test`'s child protocol on
 * stdout passes straight through), waits, kills whatever still runs in the namespace, deletes it
 * (and namespaces made by `createNetns` in it), and exits the process with the child's exit code:
 * it never returns there. In the re-executed process it returns the namespace's name at once.
 *
 * The child is entered with `nsenter --net` plus `unshare --mount --propagation slave`, not
 * `ip netns exec`: the latter remounts /sys, which hides /sys/fs/cgroup (cgroup v1 here) from
 * containerd and runc. The private mount namespace keeps mounts made by the test (containerd's
 * overlays, netns bind mounts) off the host and drops them when the test's processes end.
 */
export async function enterTestNetns(fileUrl: string): Promise<string> {
  const inner = process.env[NETNS_ENV];
  if (inner) return inner;

  const name = `kp-t-${randomBytes(4).toString("hex")}`;
  await createNamedNetns(name);
  let code = 1;
  try {
    code = await runInside(name, fileURLToPath(fileUrl));
  } finally {
    await killNetnsProcesses(name);
    await removeNestedNetns(name);
    await deleteNetns(name);
    removeTestCgroupsOf(name);
  }
  process.exit(code);
}

/** True when running in the process `enterTestNetns` re-executed inside a test namespace. */
export function insideTestNetns(): boolean {
  return Boolean(process.env[NETNS_ENV]);
}

/**
 * Creates a network namespace with loopback up and returns its name. Inside a test namespace the
 * name is prefixed with the test namespace's, so the outer process can delete it if the test
 * crashed before calling `deleteNetns`.
 */
export async function createNetns(prefix = "x"): Promise<string> {
  const parent = process.env[NETNS_ENV] ?? "kp-t";
  const name = `${parent}-${prefix}-${randomBytes(3).toString("hex")}`;
  await createNamedNetns(name);
  return name;
}

/** Kills every process in the namespace and deletes it. Idempotent: a missing namespace is fine. */
export async function deleteNetns(name: string): Promise<void> {
  await killNetnsProcesses(name);
  try {
    await execFileAsync("ip", ["netns", "delete", name]);
  } catch (error) {
    if (netnsExists(name)) throw new NetnsError(`cannot delete network namespace ${name}`, { cause: error });
  }
}

/** Runs a command inside a namespace and resolves with its stdout; rejects with NetnsError on failure. */
export async function execInNetns(name: string, argv: readonly string[]): Promise<string> {
  const [command, ...args] = argv;
  if (command === undefined) throw new NetnsError("execInNetns needs a command");
  try {
    const { stdout } = await execFileAsync("nsenter", [`--net=${NETNS_DIR}/${name}`, "--", command, ...args]);
    return stdout;
  } catch (error) {
    throw new NetnsError(`${argv.join(" ")} failed in network namespace ${name}`, { cause: error });
  }
}

function netnsExists(name: string): boolean {
  try {
    return readdirSync(NETNS_DIR).includes(name);
  } catch {
    return false;
  }
}

async function createNamedNetns(name: string): Promise<void> {
  try {
    await execFileAsync("ip", ["netns", "add", name]);
    await execFileAsync("ip", ["-n", name, "link", "set", "lo", "up"]);
  } catch (error) {
    await execFileAsync("ip", ["netns", "delete", name]).catch(() => undefined);
    throw new NetnsError(`cannot create network namespace ${name}`, { cause: error });
  }
}

/** Re-executes this node with the same flags and file inside the namespace; resolves with its exit code. */
function runInside(name: string, file: string): Promise<number> {
  const args = [
    `--net=${NETNS_DIR}/${name}`,
    "--",
    "unshare",
    "--mount",
    "--propagation",
    "slave",
    "--",
    process.execPath,
    ...process.execArgv,
    file,
    ...process.argv.slice(2),
  ];
  const child = spawn("nsenter", args, { stdio: "inherit", env: { ...process.env, [NETNS_ENV]: name } });
  // nsenter and unshare exec, so the child's pid is the inner node's: signals reach the tests.
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const signal of forwardedSignals) process.on(signal, forward);
  return new Promise((resolve) => {
    child.once("error", () => resolve(1));
    child.once("exit", (code, signal) => {
      for (const s of forwardedSignals) process.removeListener(s, forward);
      resolve(code ?? (signal ? 128 + signalNumber(signal) : 1));
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return signal === "SIGKILL" ? 9 : signal === "SIGINT" ? 2 : 15;
}

/**
 * SIGKILLs every process whose network namespace is `name` (leftover servers, shims). Containers
 * of a leftover containerd run in their pods' namespaces, not this one: they are found through
 * their shims and force-deleted with runc, so a test killed before its `stop()` leaks no pods.
 */
async function killNetnsProcesses(name: string): Promise<void> {
  if (!netnsExists(name)) return;
  let listed: string;
  try {
    ({ stdout: listed } = await execFileAsync("ip", ["netns", "pids", name]));
  } catch {
    return;
  }
  const pids = listed
    .split("\n")
    .map((p) => Number.parseInt(p, 10))
    .filter((pid) => Number.isInteger(pid) && pid !== process.pid);
  const containerdSockets = await shimSocketsOf(pids);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  for (const socket of containerdSockets) {
    await sweepContainerdLeftovers(dirname(socket), socket);
    // The harness keeps everything of a containerd in its socket's dir.
    await rm(dirname(socket), { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Deletes namespaces `createNetns` made inside the test namespace `parent` that the test left behind. */
async function removeNestedNetns(parent: string): Promise<void> {
  let entries: string[];
  try {
    entries = readdirSync(NETNS_DIR);
  } catch {
    return;
  }
  for (const entry of entries.filter((e) => e.startsWith(`${parent}-`))) {
    try {
      await deleteNetns(entry);
    } catch {
      // The bind mount lived in the test's private mount namespace, so only the file is left.
      try {
        unlinkSync(`${NETNS_DIR}/${entry}`);
      } catch {
        // Gone already.
      }
    }
  }
}
