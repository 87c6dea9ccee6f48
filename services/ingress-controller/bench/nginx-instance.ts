// A plain nginx for the ingress bench (the backends and the peer proxy): started from a configuration text, stopped with SIGQUIT.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { processCpuSeconds } from "@kubeplane/testing";
import { childrenOf, pinned } from "./cpu-pinning.js";

/** A running nginx and its CPU (master and workers). */
export interface NginxInstance {
  readonly pid: number;
  /** The nginx.conf it runs. */
  readonly configPath: string;
  /** User + system CPU seconds of the master and its workers so far. */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

/** CPU seconds of `pid` and its children (nginx: the master and its workers). */
export async function treeCpuSeconds(pid: number): Promise<number> {
  let total = await processCpuSeconds(pid).catch(() => 0);
  for (const child of await childrenOf(pid)) total += await processCpuSeconds(child).catch(() => 0);
  return total;
}

/** The `http {}` preamble every bench nginx shares: temp files under `dir`, no access log, no server tokens. */
export function httpPreamble(dir: string): string {
  return ["client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path", "scgi_temp_path"]
    .map((d) => `  ${d} ${join(dir, "tmp", d)};`)
    .concat(["  access_log off;", "  server_tokens off;", "  keepalive_requests 10000;"])
    .join("\n");
}

/** The whole nginx.conf of a bench nginx in `dir`: one worker, `http` as the body of `http {}`. */
export function nginxConfig(dir: string, http: string): string {
  return `daemon off;\nworker_processes 1;\npid ${join(dir, "nginx.pid")};\nerror_log stderr warn;\nevents { worker_connections 16384; }\nhttp {\n${httpPreamble(dir)}\n${http}\n}\n`;
}

/** Starts nginx in `dir` (created) with one worker and the `http {}` body `http`, on `cpus` (taskset) if set; resolves once its pid file exists. */
export async function startNginx(dir: string, http: string, cpus?: string): Promise<NginxInstance> {
  await mkdir(join(dir, "tmp"), { recursive: true });
  const conf = join(dir, "nginx.conf");
  const pidFile = join(dir, "nginx.pid");
  await writeFile(conf, nginxConfig(dir, http));
  // setpriv's parent-death signal: a bench that dies leaves no nginx behind.
  const [command, args] = pinned(cpus, "setpriv", ["--pdeathsig", "TERM", "--", "nginx", "-p", dir, "-c", conf]);
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "inherit"] });
  const exited = once(child, "exit");
  const deadline = Date.now() + 10_000;
  while ((await readFile(pidFile, "utf8").catch(() => "")) === "") {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nginx in ${dir} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    pid: child.pid!,
    configPath: conf,
    cpuSeconds: () => treeCpuSeconds(child.pid!),
    stop: async () => {
      child.kill("SIGQUIT");
      await exited;
    },
  };
}
