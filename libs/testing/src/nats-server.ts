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
import { natsIdentityOf, nodeNatsIdentity, renderNatsAuthorization, type CertificateSubject, type NatsIdentity } from "@kubeplane/watch";

/** Options of `startNats`. */
export interface NatsOptions {
  /** Enable JetStream with file storage in `storeDir`. Default true. */
  jetstream?: boolean;
  /**
   * Nodes whose kubelet certificates get a NATS user in the initial authorization file. Default
   * node-1, node-2. Others get theirs from the nats-authorizer (startNatsAuthorizer), which, once
   * running, grants node users for Node objects only.
   */
  nodes?: string[];
}

/**
 * The static NATS users of a test cluster, as certificate subjects (what the nats-authorizer's
 * static users file holds): the apiserver's NATS client, every component, the admin, the node
 * simulator and Prometheus. Their roles come from libs/watch's natsIdentityOf, as in `make up`.
 */
export function clusterSubjects(): CertificateSubject[] {
  return [
    { commonName: "kube-apiserver-nats-client" },
    { commonName: "system:kube-scheduler" },
    { commonName: "system:kube-controller-manager" },
    { commonName: "system:cloud-controller-manager" },
    { commonName: "system:kube-proxy" },
    { commonName: "system:kubeplane:dns" },
    { commonName: "system:kubeplane:ingress-controller" },
    { commonName: "system:kubeplane:prometheus", organizations: ["system:monitoring"] },
    { commonName: "kubernetes-admin", organizations: ["system:masters"] },
    { commonName: SIMULATOR_COMMON_NAME, organizations: ["system:nodes"] },
  ];
}

/**
 * The NATS users of a test cluster: the apiserver publishes; every component, the admin, the
 * node simulator and Prometheus read; each of `nodes` reads only its own pods.
 */
export function clusterIdentities(nodes: Iterable<string>): NatsIdentity[] {
  const statics = clusterSubjects().map((s) => natsIdentityOf(s)).filter((i): i is NatsIdentity => i !== undefined);
  return [...statics, ...[...nodes].map(nodeNatsIdentity)];
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
  /** The `authorization` block nats.conf includes: written at the first start, then owned by the nats-authorizer. */
  readonly authorizationFile: string;
  /** The static users' subjects as JSON (the nats-authorizer's staticUsersFile). */
  readonly staticUsersFile: string;
  /** nats-server's pid file (the nats-authorizer signals that pid to reload). */
  readonly pidFile: string;
}

const READY_TIMEOUT_MS = 20_000;

function ignoreExists(err: NodeJS.ErrnoException): void {
  if (err.code !== "EEXIST") throw err;
}
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
  readonly authorizationFile: string;
  readonly staticUsersFile: string;
  readonly pidFile: string;
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
    this.authorizationFile = join(dir, "authorization.conf");
    this.staticUsersFile = join(dir, "static-users.json");
    this.pidFile = join(dir, "nats-server.pid");
    // The server logs to the first file; the second catches anything printed before that (flag errors).
    this.#logFiles = [join(dir, "nats-server.log"), join(dir, "nats-server.stdio.log")];
  }

  get running(): boolean {
    return this.#process?.running ?? false;
  }

  /**
   * Writes nats.conf: payload limit, TLS that maps client certificates to users, the pid file, and
   * an include of the authorization file, which is written only when absent (a restart keeps the
   * users the nats-authorizer wrote), as is the static users file.
   */
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
    // JetStream in the file, not as flags: a configuration reload (the nats-authorizer's) would otherwise turn it off.
    const jetstream = this.jetstream ? `jetstream {\n  store_dir: ${JSON.stringify(this.storeDir)}\n}\n` : "";
    const pidFile = `pid_file: ${JSON.stringify(this.pidFile)}\n`;
    await writeFile(config, `max_payload: 4MB\n${pidFile}${jetstream}${tls}\ninclude ./authorization.conf\n`, { mode: 0o600 });
    await writeFile(this.authorizationFile, renderNatsAuthorization(clusterIdentities(this.nodes)), { mode: 0o600, flag: "wx" }).catch(ignoreExists);
    await writeFile(this.staticUsersFile, JSON.stringify(clusterSubjects()), { mode: 0o600, flag: "wx" }).catch(ignoreExists);
    return config;
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
