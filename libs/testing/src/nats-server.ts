// Starts a real nats-server (JetStream on by default) on free loopback ports for integration tests.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessStartError } from "./errors.js";
import { freePorts } from "./free-port.js";
import { httpProbe } from "./http-probe.js";
import { concatFiles, ManagedProcess, type ProcessExit } from "./managed-process.js";
import { trackDir, untrackDir } from "./process-registry.js";
import { awaitReady } from "./readiness.js";
import { SIMULATOR_COMMON_NAME, testPki } from "./test-pki.js";
import { waitFor } from "./wait-for.js";
import { renderNatsAuthorization, type NatsIdentity } from "@kubeplane/watch";

/** Options of `startNats`. */
export interface NatsOptions {
  /** Enable JetStream with file storage in `storeDir`. Default true. */
  jetstream?: boolean;
  /** Nodes whose kubelet certificates get a NATS user from the start (more with `authorizeNodes`). Default node-1, node-2. */
  nodes?: string[];
}

/**
 * The NATS users of a test cluster: the apiserver publishes; every component, the admin, the
 * node simulator and Prometheus read; each node reads only its own pods.
 */
function clusterIdentities(nodes: Iterable<string>): NatsIdentity[] {
  const readers: Array<[string, string[]]> = [
    ["system:kube-scheduler", []],
    ["system:kube-controller-manager", []],
    ["system:cloud-controller-manager", []],
    ["system:kube-proxy", []],
    ["system:kubeplane:dns", []],
    ["system:kubeplane:ingress-controller", []],
    ["system:kubeplane:prometheus", ["system:monitoring"]],
    ["kubernetes-admin", ["system:masters"]],
    [SIMULATOR_COMMON_NAME, ["system:nodes"]],
  ];
  return [
    { commonName: "kube-apiserver-nats-client", role: { kind: "publisher" } },
    ...readers.map(([commonName, organizations]): NatsIdentity => ({ commonName, organizations, role: { kind: "reader" } })),
    ...[...nodes].map((node): NatsIdentity => ({ commonName: `system:node:${node}`, organizations: ["system:nodes"], role: { kind: "node", node } })),
  ];
}

/**
 * A running nats-server on 127.0.0.1. Logs go to files in its temp dir, never to test output.
 * Call `stop()` in an `after` hook; the process is also killed if the test process exits.
 * Methods are not meant to be called concurrently.
 */
export interface NatsServer {
  /** `tls://127.0.0.1:<port>`; stable across restarts. Clients need a certificate the test PKI issued (see natsTls). */
  readonly url: string;
  readonly port: number;
  /** `http://127.0.0.1:<monitor port>` (varz, jsz, healthz…). */
  readonly monitorUrl: string;
  /** JetStream's store dir; kept across `kill`/`restart`, removed by `stop`. */
  readonly storeDir: string;
  /** False once the process has exited, whoever stopped it. */
  readonly running: boolean;
  /**
   * Sends `signal` (default SIGTERM, a graceful stop that flushes JetStream's file store; SIGKILL
   * simulates a crash and may lose the last acknowledged writes) and resolves once the process has
   * exited; SIGKILL follows after ~3 s if needed. A no-op when not running.
   */
  kill(signal?: NodeJS.Signals): Promise<ProcessExit | undefined>;
  /**
   * Starts the server again (stopping it first if running) on the same ports and store dir, so
   * JetStream streams and consumers survive, and resolves once it is ready. Throws
   * ProcessStartError otherwise.
   */
  restart(): Promise<void>;
  /** Stops the server (SIGTERM, SIGKILL after ~3 s) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** The server's log files concatenated, for failure diagnostics (empty after `stop`). */
  logs(): string;
  /** Adds NATS users for these nodes' kubelet certificates (own pods only) and reloads the server's configuration. */
  authorizeNodes(nodes: string[]): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;
const START_ATTEMPTS = 3;

/**
 * Starts nats-server and resolves once its monitor's `/healthz` answers 200 (with JetStream, only
 * once JetStream is enabled). Throws ProcessStartError (with the log tail) if it exits or is not
 * ready within 20 s; ports lost to another process are retried on fresh ones.
 */
export async function startNats(opts: NatsOptions = {}): Promise<NatsServer> {
  const jetstream = opts.jetstream ?? true;
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), "kubeplane-nats-"));
    trackDir(dir);
    const [port, monitorPort] = (await freePorts(2)) as [number, number];
    const server = new Server(dir, port, monitorPort, jetstream, new Set(opts.nodes ?? ["node-1", "node-2"]));
    try {
      await server.start();
      return server;
    } catch (error) {
      await server.stop();
      if (!(error instanceof ProcessStartError && error.addressInUse && attempt < START_ATTEMPTS)) throw error;
    }
  }
}

class Server implements NatsServer {
  readonly url: string;
  readonly monitorUrl: string;
  readonly storeDir: string;
  readonly #logFiles: readonly string[];
  #process: ManagedProcess | undefined;
  #stopped: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    readonly port: number,
    readonly monitorPort: number,
    readonly jetstream: boolean,
    private readonly nodes: Set<string>,
  ) {
    this.url = `tls://127.0.0.1:${port}`;
    this.monitorUrl = `http://127.0.0.1:${monitorPort}`;
    this.storeDir = join(dir, "store");
    // The server logs to the first file; the second catches anything printed before that (flag errors).
    this.#logFiles = [join(dir, "nats-server.log"), join(dir, "nats-server.stdio.log")];
  }

  get running(): boolean {
    return this.#process?.running ?? false;
  }

  /** Writes nats.conf: payload limit, TLS that maps client certificates to users, and the users. */
  private async writeConfig(): Promise<string> {
    const pki = await testPki();
    const server = pki.files("nats");
    const config = join(this.dir, "nats.conf");
    const tls = [
      "tls {",
      `  cert_file: ${JSON.stringify(server.certFile)}`,
      `  key_file: ${JSON.stringify(server.keyFile)}`,
      `  ca_file: ${JSON.stringify(pki.caFile)}`,
      "  verify_and_map: true",
      "  timeout: 2",
      "}",
    ].join("\n");
    // Watch events carry whole objects (up to the apiserver's 1.5 MiB limit): NATS' default 1 MiB payload is too small.
    // JetStream in the file, not as flags: a configuration reload (authorizeNodes) would otherwise turn it off.
    const jetstream = this.jetstream ? `jetstream {\n  store_dir: ${JSON.stringify(this.storeDir)}\n}\n` : "";
    await writeFile(config, `max_payload: 4MB\n${jetstream}${tls}\n${renderNatsAuthorization(clusterIdentities(this.nodes))}`, { mode: 0o600 });
    return config;
  }

  async authorizeNodes(nodes: string[]): Promise<void> {
    const added = nodes.filter((n) => !this.nodes.has(n));
    if (added.length === 0) return;
    for (const n of added) this.nodes.add(n);
    await this.writeConfig();
    if (!this.#process?.running) return;
    const before = await this.configLoadTime();
    this.#process.signal("SIGHUP");
    await waitFor(async () => (await this.configLoadTime()) !== before, { timeoutMs: 5_000, intervalMs: 20, message: "nats-server to reload its configuration" });
  }

  private async configLoadTime(): Promise<string> {
    const res = await httpProbe("GET", `${this.monitorUrl}/varz`);
    return String((res.body as { config_load_time?: string }).config_load_time ?? "");
  }

  async start(): Promise<void> {
    const config = await this.writeConfig();
    const args = ["-c", config, "-a", "127.0.0.1", "-p", String(this.port), "-m", String(this.monitorPort), "-l", this.#logFiles[0]!];
    const proc = new ManagedProcess("nats-server", args, this.#logFiles[1]!);
    this.#process = proc;
    // js-enabled-only: ready once JetStream is up, without also requiring every stream to be current.
    const healthz = `${this.monitorUrl}/healthz${this.jetstream ? "?js-enabled-only=true" : ""}`;
    await awaitReady({
      what: `nats-server on port ${this.port}`,
      processes: [proc],
      logFiles: this.#logFiles,
      probe: async () => (await httpProbe("GET", healthz)).status === 200,
      timeoutMs: READY_TIMEOUT_MS,
    });
  }

  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<ProcessExit | undefined> {
    return this.#process?.kill(signal);
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await this.kill();
      await rm(this.dir, { recursive: true, force: true });
      untrackDir(this.dir);
    })();
    return this.#stopped;
  }

  logs(): string {
    return concatFiles(this.#logFiles);
  }
}
