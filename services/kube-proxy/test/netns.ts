// Commands run inside kube-proxy tests' network namespaces (with input and a timeout); the namespaces come from @kubeplane/testing.
import { spawn } from "node:child_process";

/** What a command run in a namespace printed and how it ended. */
export interface NsResult {
  code: number;
  stdout: string;
  stderr: string;
}

export { createNetns, deleteNetns } from "@kubeplane/testing";

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
