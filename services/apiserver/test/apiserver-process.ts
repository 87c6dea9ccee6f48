// Runs an apiserver as a child process (so a test can SIGKILL it) on free loopback ports.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { freePort, waitFor } from "@kubeplane/testing";

const mainTs = fileURLToPath(new URL("../src/main.ts", import.meta.url));

export interface ApiserverProcess {
  grpcAddress: string;
  httpUrl: string;
  /** True when its /metrics says it leads the watch publisher. */
  isLeader(): Promise<boolean>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  output(): string;
}

export async function spawnApiserver(flags: Record<string, string>): Promise<ApiserverProcess> {
  const [grpc, http] = [await freePort(), await freePort()];
  const args = Object.entries({ "grpc-listen": `127.0.0.1:${grpc}`, "http-listen": `127.0.0.1:${http}`, "log-level": "warn", ...flags }).map(
    ([k, v]) => `--${k}=${v}`,
  );
  const proc: ChildProcess = spawn(process.execPath, ["--conditions=source", "--import", "tsx", mainTs, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = once(proc, "exit");
  const httpUrl = `http://127.0.0.1:${http}`;
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`apiserver exited with ${proc.exitCode}: ${out}`);
      const res = await fetch(`${httpUrl}/readyz`).catch(() => undefined);
      return res?.ok === true;
    },
    { timeoutMs: 30_000, message: "apiserver process ready" },
  );
  return {
    grpcAddress: `127.0.0.1:${grpc}`,
    httpUrl,
    async isLeader() {
      const res = await fetch(`${httpUrl}/metrics`).catch(() => undefined);
      if (!res?.ok) return false;
      return /^apiserver_watch_publisher_leader 1$/m.test(await res.text());
    },
    async kill(signal: NodeJS.Signals = "SIGTERM") {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      await exited;
    },
    output: () => out,
  };
}
