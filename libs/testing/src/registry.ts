// Starts a real OCI distribution registry (Debian's docker-registry) on a free loopback port for tests.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessStartError } from "./errors.js";
import { freePort } from "./free-port.js";
import { httpProbe } from "./http-probe.js";
import { concatFiles, ManagedProcess } from "./managed-process.js";
import { trackDir, untrackDir } from "./process-registry.js";
import { awaitReady } from "./readiness.js";

/**
 * A running docker-registry on 127.0.0.1, plain HTTP, no auth, storage in its temp dir. Call
 * `stop()` in an `after` hook; the process is also killed if the test process exits.
 */
export interface Registry {
  /** `127.0.0.1:<port>`: the host part of image references served by this registry. */
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` (the distribution API is under /v2/). */
  readonly url: string;
  /** Stops the registry and removes its storage. Idempotent. */
  stop(): Promise<void>;
  /** The registry's log, for failure diagnostics. */
  logs(): string;
}

const READY_TIMEOUT_MS = 20_000;
const START_ATTEMPTS = 3;

/** Starts docker-registry and resolves once `GET /v2/` answers 200; throws ProcessStartError otherwise. */
export async function startRegistry(): Promise<Registry> {
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), "kubeplane-registry-"));
    trackDir(dir);
    const registry = new LocalRegistry(dir, await freePort());
    try {
      await registry.start();
      return registry;
    } catch (error) {
      await registry.stop();
      if (!(error instanceof ProcessStartError && error.addressInUse && attempt < START_ATTEMPTS)) throw error;
    }
  }
}

class LocalRegistry implements Registry {
  readonly host: string;
  readonly url: string;
  readonly #logFile: string;
  #process: ManagedProcess | undefined;
  #stopped: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.host = `127.0.0.1:${port}`;
    this.url = `http://${this.host}`;
    this.#logFile = join(dir, "registry.log");
  }

  async start(): Promise<void> {
    const config = join(this.dir, "config.yml");
    // No health check of the storage driver: it only adds a periodic stat of the temp dir.
    await writeFile(
      config,
      [
        "version: 0.1",
        "log:",
        "  level: warn",
        "storage:",
        "  filesystem:",
        `    rootdirectory: ${join(this.dir, "storage")}`,
        "  delete:",
        "    enabled: true",
        "http:",
        `  addr: ${this.host}`,
        "",
      ].join("\n"),
    );
    const proc = new ManagedProcess("docker-registry", ["serve", config], this.#logFile);
    this.#process = proc;
    await awaitReady({
      what: `docker-registry on ${this.host}`,
      processes: [proc],
      logFiles: [this.#logFile],
      probe: async () => (await httpProbe("GET", `${this.url}/v2/`)).status === 200,
      timeoutMs: READY_TIMEOUT_MS,
    });
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await this.#process?.kill();
      await rm(this.dir, { recursive: true, force: true });
      untrackDir(this.dir);
    })();
    return this.#stopped;
  }

  logs(): string {
    return concatFiles([this.#logFile]);
  }
}
