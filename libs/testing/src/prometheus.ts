// Starts a real Prometheus (Debian's `prometheus`) on a free loopback port with a given config, for tests that query it.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessStartError } from "./errors.js";
import { freePort } from "./free-port.js";
import { httpProbe } from "./http-probe.js";
import { concatFiles, ManagedProcess } from "./managed-process.js";
import { trackDir, untrackDir } from "./process-registry.js";
import { awaitReady } from "./readiness.js";

/** Options of `startPrometheus`. */
export interface PrometheusOptions {
  /**
   * The prometheus.yml text, or a function of where Prometheus will listen (`127.0.0.1:PORT`, so
   * the config can scrape Prometheus itself) and of the absolute paths `ruleFiles` were written to.
   */
  config: string | ((where: { address: string; ruleFiles: string[] }) => string);
  /** Rule files written to the temp dir: file name → YAML text. */
  ruleFiles?: Record<string, string>;
}

/** One sample of an instant vector, as Prometheus' HTTP API returns it. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An alert as `/api/v1/alerts` returns it. */
export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: "pending" | "firing" | "inactive";
  activeAt?: string;
  value?: string;
}

/** A scrape target as `/api/v1/targets` returns it (the fields tests look at). */
export interface PromTarget {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: "up" | "down" | "unknown";
  lastError: string;
}

/** Thrown when Prometheus' HTTP API answers a query with an error. */
export class PrometheusQueryError extends Error {
  override readonly name = "PrometheusQueryError";
  readonly code = "PROMETHEUS_QUERY";
  constructor(
    readonly query: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`prometheus query ${JSON.stringify(query)}: ${message}`, options);
  }
}

/**
 * A running Prometheus on 127.0.0.1 with its TSDB in a temp dir. Logs go to a file there.
 * Call `stop()` in an `after` hook; the process is also killed if the test process exits.
 */
export interface Prometheus {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** The temp dir holding prometheus.yml, the rule files and the TSDB. */
  readonly dir: string;
  /** An instant query (`/api/v1/query`); throws PrometheusQueryError on a bad expression. */
  query(expr: string): Promise<PromSample[]>;
  /** The current alerts (pending and firing). */
  alerts(): Promise<PromAlert[]>;
  /** The active scrape targets. */
  targets(): Promise<PromTarget[]>;
  /** Stops Prometheus (SIGTERM, SIGKILL after ~3 s) and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Its log, for failure messages (empty after `stop`). */
  logs(): string;
}

const READY_TIMEOUT_MS = 20_000;
const START_ATTEMPTS = 3;

interface ApiAnswer<T> {
  status: "success" | "error";
  data?: T;
  error?: string;
}

/**
 * Writes the config and rule files, starts `prometheus` and resolves once `/-/ready` answers 200.
 * Throws ProcessStartError (with the log tail) if it exits first or is not ready within 20 s; a
 * port lost to another process is retried on a fresh one.
 */
export async function startPrometheus(opts: PrometheusOptions): Promise<Prometheus> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (error) {
      if (!(error instanceof ProcessStartError && error.addressInUse && attempt < START_ATTEMPTS)) throw error;
    }
  }
}

async function startOnce(opts: PrometheusOptions): Promise<Prometheus> {
  const dir = await mkdtemp(join(tmpdir(), "kubeplane-prometheus-"));
  trackDir(dir);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const url = `http://${address}`;
  const logFile = join(dir, "prometheus.log");
  const configFile = join(dir, "prometheus.yml");
  let proc: ManagedProcess | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await proc?.kill("SIGTERM");
      await rm(dir, { recursive: true, force: true });
      untrackDir(dir);
    })());
  try {
    const ruleFiles: string[] = [];
    for (const [name, text] of Object.entries(opts.ruleFiles ?? {})) {
      ruleFiles.push(join(dir, name));
      await writeFile(join(dir, name), text);
    }
    await writeFile(configFile, typeof opts.config === "string" ? opts.config : opts.config({ address, ruleFiles }));
    const args = [
      `--config.file=${configFile}`,
      `--web.listen-address=${address}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      "--storage.tsdb.retention.time=1h",
      "--log.level=warn",
    ];
    proc = new ManagedProcess("prometheus", args, logFile);
    const running = proc;
    await awaitReady({
      what: `prometheus on ${address}`,
      processes: [running],
      logFiles: [logFile],
      probe: async () => (await httpProbe("GET", `${url}/-/ready`)).status === 200,
      timeoutMs: READY_TIMEOUT_MS,
    });
  } catch (error) {
    await stop();
    throw error instanceof ProcessStartError ? error : new ProcessStartError("prometheus", (error as Error).message, "", { cause: error });
  }

  async function api<T>(path: string, what: string): Promise<T> {
    let answer: ApiAnswer<T>;
    try {
      const res = await fetch(`${url}${path}`);
      answer = (await res.json()) as ApiAnswer<T>;
    } catch (err) {
      throw new PrometheusQueryError(what, (err as Error).message, { cause: err });
    }
    if (answer.status !== "success" || answer.data === undefined) throw new PrometheusQueryError(what, answer.error ?? "no data");
    return answer.data;
  }

  return {
    url,
    address,
    dir,
    async query(expr) {
      const data = await api<{ resultType: string; result: PromSample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`, expr);
      return data.resultType === "vector" ? data.result : [];
    },
    async alerts() {
      return (await api<{ alerts: PromAlert[] }>("/api/v1/alerts", "alerts")).alerts;
    },
    async targets() {
      return (await api<{ activeTargets: PromTarget[] }>("/api/v1/targets?state=active", "targets")).activeTargets;
    },
    stop,
    logs: () => concatFiles([logFile]),
  };
}
