// Runs a Kubeplane service as a child process on free loopback ports, for tests that kill it or
// drive it as an operator would (by address, not by import).
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { hostname } from "node:os";
import { freePort } from "./free-port.js";
import { httpProbe } from "./http-probe.js";
import { nodeEntryArgs } from "./node-command.js";
import { apiserverEncryptionConfig, apiserverTlsFlags, serviceTlsFlags, testPki, testPkiNow } from "./test-pki.js";
import { trackProcess } from "./process-registry.js";
import type { TestCgroup } from "./test-cgroup.js";
import { waitFor } from "./wait-for.js";

export interface ServiceProcessOptions {
  /** The service's entry file (its `src/main.ts`), run with `node --conditions=source --import tsx`, or its built `dist/src/main.js` under `make test` (node-command.ts). */
  entry: string;
  /**
   * Flags as `--name=value`; `grpc-listen`, `http-listen` and `log-level` default to free ports and
   * "warn", and the TLS flags to the test PKI's certificate of the service (see serviceTlsFlags;
   * a kubelet gets its node's, `kubelet-simulator` when it simulates nodes).
   */
  flags?: Record<string, string>;
  env?: Record<string, string>;
  /** How long to wait for `/readyz`; default 30 s. */
  readyTimeoutMs?: number;
  /** Runs the process in this cgroup (from createTestCgroup), so a Partitioner can isolate it. */
  cgroup?: TestCgroup;
}

export interface ServiceProcess {
  /** host:port of its gRPC listener. */
  readonly grpcAddress: string;
  /** https://host:port of its metrics and health listener. */
  readonly httpUrl: string;
  readonly pid: number;
  /** Its /metrics text (scraped with Prometheus's certificate), or "" when it does not answer. */
  metrics(): Promise<string>;
  /** Sends `signal` (default SIGTERM) and resolves once it exited. A no-op after exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Its stdout and stderr so far, for failure messages. */
  output(): string;
}

/**
 * Extra node options for every service process, from KP_SERVICE_NODE_ARGS (space-separated), for
 * profiling a bench: `KP_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` (node refuses
 * --cpu-prof in NODE_OPTIONS).
 */
function nodeArgsFromEnv(): string[] {
  return (process.env.KP_SERVICE_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
}

/** The certificate flags a service started from `entry` gets unless the test passes its own. */
async function defaultTlsFlags(entry: string, flags: Record<string, string>): Promise<Record<string, string>> {
  const pki = await testPki();
  if (flags["insecure-serving"] === "true") return {};
  const service = /[\\/]services[\\/]([^\\/]+)[\\/]src[\\/]main\.ts$/.exec(entry)?.[1];
  // The REST listener on a free port too (its default, 127.0.0.1:6444, would collide between parallel tests).
  if (service === "apiserver") return { ...apiserverTlsFlags(), "encryption-key-file": apiserverEncryptionConfig().encryptionKeyFile, "rest-listen": "127.0.0.1:0" };
  if (service === "kubelet") {
    const simulated = Number(flags.simulate ?? "0") > 0;
    return serviceTlsFlags(simulated ? await pki.simulator() : await pki.node(flags["node-name"] ?? hostname()));
  }
  return serviceTlsFlags(pki.files(service ?? "admin"));
}

/**
 * Starts the service and resolves once its `/readyz` answers 200. Throws (with its output) if it
 * exits first or is not ready in time. The process is killed if the test process exits.
 */
export async function startServiceProcess(opts: ServiceProcessOptions): Promise<ServiceProcess> {
  const [grpc, http] = [await freePort(), await freePort()];
  const tlsFlags = await defaultTlsFlags(opts.entry, opts.flags ?? {});
  const flags: Record<string, string> = { "grpc-listen": `127.0.0.1:${grpc}`, "http-listen": `127.0.0.1:${http}`, "log-level": "warn", ...tlsFlags, ...opts.flags };
  const pki = testPkiNow();
  const probeTls = { caFile: pki.caFile };
  const scrapeTls = pki.files("prometheus");
  const nodeArgs = [...nodeArgsFromEnv(), ...nodeEntryArgs(opts.entry), ...Object.entries(flags).map(([k, v]) => `--${k}=${v}`)];
  const argv = opts.cgroup ? opts.cgroup.wrap(process.execPath, nodeArgs) : { command: process.execPath, args: nodeArgs };
  const proc: ChildProcess = spawn(argv.command, argv.args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...opts.env } });
  trackProcess(proc);
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = once(proc, "exit");
  const httpUrl = `${flags["insecure-serving"] === "true" ? "http" : "https"}://${flags["http-listen"]}`;
  try {
    await waitFor(
      async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${opts.entry} exited (${proc.exitCode ?? proc.signalCode}):\n${out}`);
        const res = await httpProbe("GET", `${httpUrl}/readyz`, undefined, 2_000, probeTls).catch(() => undefined);
        return res?.status === 200;
      },
      { timeoutMs: opts.readyTimeoutMs ?? 30_000, message: `${opts.entry} ready at ${httpUrl}/readyz` },
    );
  } catch (err) {
    proc.kill("SIGKILL");
    throw err;
  }
  return {
    grpcAddress: flags["grpc-listen"]!,
    httpUrl,
    pid: proc.pid!,
    async metrics() {
      const res = await httpProbe("GET", `${httpUrl}/metrics`, undefined, 10_000, scrapeTls).catch(() => undefined);
      return res?.status === 200 ? res.text : "";
    },
    async kill(signal: NodeJS.Signals = "SIGTERM") {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      await exited;
    },
    output: () => out,
  };
}
