// Starts a real nats-server JetStream cluster (3 servers by default, routes over mutual TLS) on loopback for failover tests.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderNatsAuthorization } from "@kubeplane/watch";
import { ProcessStartError } from "./errors.js";
import { freePorts } from "./free-port.js";
import { httpProbe } from "./http-probe.js";
import { concatFiles, ManagedProcess, type ProcessExit } from "./managed-process.js";
import { clusterIdentities } from "./nats-server.js";
import { trackDir, untrackDir } from "./process-registry.js";
import { awaitReady } from "./readiness.js";
import { testPki } from "./test-pki.js";
import { waitFor } from "./wait-for.js";

/** Options of `startNatsCluster`. */
export interface NatsClusterOptions {
  /** Servers in the cluster. Default 3 (what an R3 stream needs). */
  size?: number;
  /** Nodes whose kubelet certificates get a NATS user. Default node-1, node-2. */
  nodes?: string[];
}

/** One server of a test NATS cluster. */
export interface NatsClusterServer {
  /** Its `server_name` (n1, n2, …): what JetStream names as stream and meta leaders. */
  readonly name: string;
  /** `tls://127.0.0.1:<port>`, stable across restarts. */
  readonly url: string;
  readonly monitorUrl: string;
  readonly running: boolean;
  /** Sends `signal` (default SIGTERM; SIGKILL is a crash) and resolves once the process exited. */
  kill(signal?: NodeJS.Signals): Promise<ProcessExit | undefined>;
  /** Starts it again on the same ports and store, and resolves once its JetStream is enabled. */
  restart(): Promise<void>;
}

/**
 * A running JetStream cluster on 127.0.0.1 with the test PKI's users (as `startNats`). Every server
 * has its own store dir; routes use the `nats` certificate both ways. Stop it in an `after` hook.
 */
export interface NatsCluster {
  readonly servers: readonly NatsClusterServer[];
  /** Every server's client URL, comma-separated (what components are given). */
  readonly urls: string;
  server(name: string): NatsClusterServer;
  /** The server leading JetStream's meta group (stream and consumer assignments), from /jsz. */
  metaLeader(): Promise<string | undefined>;
  /** Stops every server and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Every server's log, for failure diagnostics. */
  logs(): string;
}

const READY_TIMEOUT_MS = 30_000;

/**
 * Starts the cluster and resolves once every server has JetStream enabled, routes to every other
 * server, and the meta group has a leader. Throws ProcessStartError (with the logs) otherwise.
 */
export async function startNatsCluster(opts: NatsClusterOptions = {}): Promise<NatsCluster> {
  const size = opts.size ?? 3;
  const dir = await mkdtemp(join(tmpdir(), "kubeplane-nats-cluster-"));
  trackDir(dir);
  const ports = await freePorts(3 * size);
  const pki = await testPki();
  const nats = pki.files("nats");
  const authorization = renderNatsAuthorization(clusterIdentities(new Set(opts.nodes ?? ["node-1", "node-2"])));
  const servers = Array.from({ length: size }, (_, i) => new ClusterServer(dir, `n${i + 1}`, ports[3 * i]!, ports[3 * i + 1]!, ports[3 * i + 2]!));
  for (const s of servers) {
    const routes = servers.filter((o) => o !== s).map((o) => `    "nats-route://127.0.0.1:${o.clusterPort}"`);
    const tls = (indent: string, verify: string): string =>
      [`${indent}tls {`, `${indent}  cert_file: ${JSON.stringify(nats.certFile)}`, `${indent}  key_file: ${JSON.stringify(nats.keyFile)}`, `${indent}  ca_file: ${JSON.stringify(pki.caFile)}`, `${indent}  ${verify}: true`, `${indent}  timeout: 2`, `${indent}}`].join("\n");
    const config = [
      `server_name: ${s.name}`,
      "max_payload: 4MB",
      `jetstream {\n  store_dir: ${JSON.stringify(join(dir, s.name, "store"))}\n}`,
      tls("", "verify_and_map"),
      `cluster {\n  name: kp-test\n  listen: "127.0.0.1:${s.clusterPort}"\n${tls("  ", "verify")}\n  routes: [\n${routes.join("\n")}\n  ]\n}`,
      authorization,
    ].join("\n");
    await s.prepare(config);
  }
  const cluster = new Cluster(dir, servers);
  try {
    await Promise.all(servers.map((s) => s.start()));
    await waitFor(async () => (await Promise.all(servers.map((s) => s.routes()))).every((n) => n === size - 1) && (await cluster.metaLeader()) !== undefined, {
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: 50,
      message: `NATS cluster of ${size}: every route up and a JetStream meta leader`,
    }).catch((error: unknown) => {
      throw new ProcessStartError(`NATS cluster of ${size}`, (error as Error).message, cluster.logs().slice(-4_000), { cause: error });
    });
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

class Cluster implements NatsCluster {
  readonly urls: string;
  #stopped: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    readonly servers: readonly ClusterServer[],
  ) {
    this.urls = servers.map((s) => s.url).join(",");
  }

  server(name: string): NatsClusterServer {
    const s = this.servers.find((x) => x.name === name);
    if (!s) throw new Error(`no NATS server ${name} in the cluster`);
    return s;
  }

  async metaLeader(): Promise<string | undefined> {
    for (const s of this.servers) {
      if (!s.running) continue;
      const r = await httpProbe("GET", `${s.monitorUrl}/jsz`).catch(() => undefined);
      const leader = (r?.body as { meta_cluster?: { leader?: string } } | undefined)?.meta_cluster?.leader;
      if (leader) return leader;
    }
    return undefined;
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await Promise.all(this.servers.map((s) => s.kill()));
      await rm(this.dir, { recursive: true, force: true });
      untrackDir(this.dir);
    })();
    return this.#stopped;
  }

  logs(): string {
    return this.servers.map((s) => `--- ${s.name}\n${s.logs()}`).join("\n");
  }
}

class ClusterServer implements NatsClusterServer {
  readonly url: string;
  readonly monitorUrl: string;
  readonly #logFiles: readonly string[];
  #config = "";
  #process: ManagedProcess | undefined;

  constructor(
    private readonly dir: string,
    readonly name: string,
    readonly port: number,
    readonly monitorPort: number,
    readonly clusterPort: number,
  ) {
    this.url = `tls://127.0.0.1:${port}`;
    this.monitorUrl = `http://127.0.0.1:${monitorPort}`;
    this.#logFiles = [join(dir, `${name}.log`), join(dir, `${name}.stdio.log`)];
  }

  get running(): boolean {
    return this.#process?.running ?? false;
  }

  async prepare(config: string): Promise<void> {
    this.#config = join(this.dir, `${this.name}.conf`);
    await writeFile(this.#config, config, { mode: 0o600 });
  }

  async start(): Promise<void> {
    const args = ["-c", this.#config, "-a", "127.0.0.1", "-p", String(this.port), "-m", String(this.monitorPort), "-l", this.#logFiles[0]!];
    const proc = new ManagedProcess("nats-server", args, this.#logFiles[1]!);
    this.#process = proc;
    await awaitReady({
      what: `nats-server ${this.name} on port ${this.port}`,
      processes: [proc],
      logFiles: this.#logFiles,
      probe: async () => (await httpProbe("GET", `${this.monitorUrl}/healthz?js-enabled-only=true`)).status === 200,
      timeoutMs: READY_TIMEOUT_MS,
    });
  }

  async routes(): Promise<number> {
    const r = await httpProbe("GET", `${this.monitorUrl}/routez`).catch(() => undefined);
    return Number((r?.body as { num_routes?: number } | undefined)?.num_routes ?? -1);
  }

  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<ProcessExit | undefined> {
    return this.#process?.kill(signal);
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  logs(): string {
    return concatFiles(this.#logFiles);
  }
}
