// Network namespaces for kube-proxy's tests: created with a random kp- name, every command run inside them, deleted with their processes.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** What a command run in a namespace printed and how it ended. */
export interface NsResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Creates `kp-<prefix>-<random>` with loopback up and returns its name. */
export async function createNetns(prefix: string): Promise<string> {
  const name = `kp-${prefix}-${randomBytes(4).toString("hex")}`;
  await execFileAsync("ip", ["netns", "add", name]);
  await execFileAsync("ip", ["-n", name, "link", "set", "lo", "up"]);
  return name;
}

/** Kills every process left in the namespace and deletes it; a missing namespace is fine. */
export async function deleteNetns(name: string): Promise<void> {
  const pids = await execFileAsync("ip", ["netns", "pids", name]).then((r) => r.stdout, () => "");
  for (const pid of pids.split("\n").map(Number).filter((p) => Number.isInteger(p) && p > 0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  await execFileAsync("ip", ["netns", "delete", name]).catch(() => undefined);
}

/** Runs argv inside the namespace; never rejects for a non-zero exit; killed after `timeoutMs` (default 5 s). */
export function nsRun(name: string, argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<NsResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", name, ...argv], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 5000);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}

/** Like nsRun, but rejects (with stderr) when the command fails. */
export async function nsExec(name: string, argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const res = await nsRun(name, argv, opts);
  if (res.code !== 0) throw new Error(`${argv.join(" ")} in ${name} exited ${res.code}: ${res.stderr}`);
  return res.stdout;
}
