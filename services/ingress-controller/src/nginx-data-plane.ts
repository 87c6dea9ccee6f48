// The nginx data plane: renders the site from the caches, reloads nginx only when the text changed, counts its requests.
import { createHash } from "node:crypto";
import { chmod, chown, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@kubeplane/service-kit";
import type { Registry } from "prom-client";
import { accessLogFlushWait, startAccessLogMetrics, type AccessLogMetrics } from "./access-log-metrics.js";
import type { ParsedCertificate } from "./certificate-store.js";
import { controlGet } from "./control-client.js";
import { LUA_METRICS_FLUSH_MS, LUA_METRICS_PATH, LuaMetricsReader, writeLuaMetricsModule } from "./lua-request-metrics.js";
import type { IngressMetrics } from "./metrics.js";
import { controlSocket, renderNginxConfig, type NginxRenderOptions, type RequestMetricsSink } from "./nginx-config.js";
import { NginxProcess } from "./nginx-process.js";
import { buildSite, type SiteInputs } from "./nginx-site.js";
import type { PemKeyPair } from "./self-signed-certificate.js";

/** How the data plane runs nginx. */
export interface NginxDataPlaneOptions {
  /** Where nginx.conf, the pid file, temp files and certificates live (created). */
  stateDir: string;
  binary: string;
  workerProcesses: string;
  httpListen: string;
  httpsListen: string;
  connectTimeoutMs: number;
  shutdownGraceMs: number;
  /** How nginx counts requests: in its workers (lua-nginx-module from `modulesDir`), or an access log line a request read by the controller. */
  requestMetrics: "lua" | "access-log";
  /** Where the Lua module and its NDK dependency are (Debian: /usr/lib/nginx/modules). */
  modulesDir: string;
  /** At most one reload signalled per this many ms; changes in between are applied together. */
  minReloadIntervalMs: number;
  fallback: PemKeyPair;
  /** What to serve, read from the informer caches at each render. */
  inputs(): SiteInputs;
  metrics: IngressMetrics;
  /** Where the access log's own counter is registered. */
  registry: Registry;
  logger: Logger;
}

/** uid/gid of `nobody`/`nogroup`, nginx's default worker user (Debian: 65534). */
async function nobody(): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile("/etc/passwd", "utf8").catch(() => "");
  const line = passwd.split("\n").find((l) => l.startsWith("nobody:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  return { uid: Number(uid ?? 65534) || 65534, gid: Number(gid ?? 65534) || 65534 };
}

/**
 * nginx as the ingress data plane. `enable` (once the caches synced) renders and applies the
 * site; `schedule` (any informer event) re-renders, coalesced, and reloads only when the text
 * changed, after `nginx -t`, at most once per `minReloadIntervalMs`. A refused configuration is
 * logged and counted; the running one stays. Event-loop use only.
 */
export class NginxDataPlane {
  private current = "";
  /** Generation of `current`; nginx serves it on the control socket once the reload took effect. */
  private generation = 0;
  /** Whether nginx serves a configuration rendered from synced caches. */
  private serving = false;
  private enabled = false;
  private dirty = false;
  private loop: Promise<void> | undefined;
  private lastReloadAt = 0;
  private stopped = false;

  private constructor(
    private readonly opts: NginxDataPlaneOptions,
    private readonly render: NginxRenderOptions,
    private readonly nginx: NginxProcess,
    private readonly requestCounter: RequestCounter,
  ) {}

  /** Prepares the state dir, writes a configuration that answers 404 to everything, starts nginx. Throws NginxStartError. */
  static async start(opts: NginxDataPlaneOptions): Promise<NginxDataPlane> {
    const { stateDir } = opts;
    const tmpDir = join(stateDir, "tmp");
    await mkdir(join(stateDir, "certs"), { recursive: true, mode: 0o700 });
    await mkdir(tmpDir, { recursive: true });
    const isRoot = process.getuid?.() === 0;
    if (isRoot) {
      // The master (root) reads configuration and keys; workers run as nobody and only need the temp dirs.
      const { uid, gid } = await nobody();
      await chmod(stateDir, 0o711);
      for (const name of ["client-body", "proxy", "fastcgi", "uwsgi", "scgi"]) {
        await mkdir(join(tmpDir, name), { recursive: true, mode: 0o700 });
        await chown(join(tmpDir, name), uid, gid);
      }
      await chmod(tmpDir, 0o711);
    }
    const fallbackCertificate = join(stateDir, "certs", "fallback.pem");
    await writeFile(fallbackCertificate, `${opts.fallback.cert.trimEnd()}\n${opts.fallback.key.trimEnd()}\n`, { mode: 0o600 });
    const requestCounter = await startRequestCounter(opts);
    const render: NginxRenderOptions = {
      stateDir,
      httpListen: opts.httpListen,
      httpsListen: opts.httpsListen,
      workerProcesses: opts.workerProcesses,
      ...(isRoot ? { workerUser: "nobody nogroup" } : {}),
      requestMetrics: requestCounter.sink,
      connectTimeoutMs: opts.connectTimeoutMs,
      workerShutdownTimeoutMs: opts.shutdownGraceMs,
      fallbackCertificate,
      certificatePath: (cert) => certificateFile(stateDir, cert),
    };
    const configFile = join(stateDir, "nginx.conf");
    const nginx = new NginxProcess({ binary: opts.binary, prefix: stateDir, configFile, logger: opts.logger });
    const plane = new NginxDataPlane(opts, render, nginx, requestCounter);
    try {
      const nothing = { exact: new Map(), wildcard: new Map(), anyHost: [], fallback: undefined };
      const empty = buildSite({ routes: nothing, endpoints: () => [], certificateFor: () => undefined, wildcardCertificateFor: () => undefined, tlsHosts: { exact: [], wildcard: [] } });
      plane.current = renderNginxConfig(empty, render, 0);
      await writeFile(configFile, plane.current);
      await nginx.start();
    } catch (err) {
      await requestCounter.close();
      throw err;
    }
    return plane;
  }

  /** The nginx master's pid. */
  get pid(): number | undefined {
    return this.nginx.pid;
  }

  /** Starts serving the caches' content (call once they synced). */
  enable(): void {
    this.enabled = true;
    this.schedule();
  }

  /** Something the site is built from changed: re-render soon. Coalesced; a no-op before `enable`. */
  schedule(): void {
    if (!this.enabled || this.stopped) return;
    this.dirty = true;
    this.loop ??= this.drain().finally(() => (this.loop = undefined));
  }

  /** Resolves when every scheduled change has been applied (or refused). */
  async settled(): Promise<void> {
    while (this.loop) await this.loop;
  }

  private async drain(): Promise<void> {
    while (this.dirty && !this.stopped) {
      const wait = this.lastReloadAt + this.opts.minReloadIntervalMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.dirty = false;
      try {
        await this.apply();
      } catch (err) {
        this.opts.metrics.lastReloadSuccessful.set(0);
        this.opts.metrics.reloads.inc({ result: "failure" });
        this.opts.logger.error({ err }, "nginx configuration not applied; the previous one stays in service");
      }
    }
  }

  private async apply(): Promise<void> {
    const started = performance.now();
    const site = buildSite(this.opts.inputs());
    let text = renderNginxConfig(site, this.render, this.generation);
    if (text === this.current || this.stopped) {
      this.serving = true;
      return;
    }
    const generation = this.generation + 1;
    text = renderNginxConfig(site, this.render, generation);
    const certificates = new Map<string, ParsedCertificate>();
    for (const server of site.servers) if (server.certificate) certificates.set(certificateFile(this.opts.stateDir, server.certificate), server.certificate);
    for (const [file, cert] of certificates) await writeFile(file, cert.pem, { mode: 0o600 });
    const next = join(this.opts.stateDir, "nginx.conf.next");
    await writeFile(next, text);
    await this.nginx.test(next);
    await rename(next, join(this.opts.stateDir, "nginx.conf"));
    // The interval counts from the signal: the wait for the old workers to drain is not added to it.
    const signalledAt = Date.now();
    await this.nginx.reload();
    this.current = text;
    this.generation = generation;
    await this.waitForGeneration(generation);
    this.serving = true;
    this.lastReloadAt = signalledAt;
    this.opts.metrics.reloads.inc({ result: "success" });
    this.opts.metrics.lastReloadSuccessful.set(1);
    this.opts.logger.info({ servers: site.servers.length, upstreams: site.upstreams.length, ms: Math.round(performance.now() - started) }, "nginx reloaded");
    await this.removeStaleCertificates(new Set(certificates.keys()));
  }

  /** Waits until nginx has counted every request answered before the call, and moves the counts into the metrics. */
  settleRequestMetrics(): Promise<void> {
    return this.requestCounter.settle();
  }

  /** Whether nginx serves what the synced caches hold (for /readyz). */
  isServing(): boolean {
    return this.serving;
  }

  /** Polls the control socket until nginx's new workers answer with `generation` (5 s at most, then logs). */
  private async waitForGeneration(generation: number): Promise<void> {
    const deadline = Date.now() + 5000;
    const socketPath = controlSocket(this.opts.stateDir);
    while (Date.now() < deadline && !this.stopped) {
      const served = await controlGet(socketPath, "/generation");
      if (served === String(generation)) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (!this.stopped) this.opts.logger.warn({ generation }, "nginx has not served the new configuration within 5 s");
  }

  private async removeStaleCertificates(keep: Set<string>): Promise<void> {
    const dir = join(this.opts.stateDir, "certs");
    for (const name of await readdir(dir)) {
      const file = join(dir, name);
      if (name !== "fallback.pem" && !keep.has(file)) await rm(file, { force: true });
    }
  }

  /** Stops re-rendering, lets nginx finish in-flight requests (up to the grace period), closes the log sink. Never rejects. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop?.catch(() => undefined);
    await this.nginx.stop(this.opts.shutdownGraceMs);
    await this.requestCounter.close();
  }
}

/** How the controller gets nginx's request counts into its metrics. */
interface RequestCounter {
  readonly sink: RequestMetricsSink;
  /** Waits one flush interval of nginx's, then counts everything nginx holds into the metrics. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

async function startRequestCounter(opts: NginxDataPlaneOptions): Promise<RequestCounter> {
  if (opts.requestMetrics === "access-log") {
    const accessLog: AccessLogMetrics = await startAccessLogMetrics(join(opts.stateDir, "access.fifo"), opts.metrics, opts.registry, opts.logger);
    return {
      sink: { kind: "access-log", fifo: accessLog.path },
      settle: async () => {
        await accessLogFlushWait();
        accessLog.flush();
      },
      close: () => accessLog.close(),
    };
  }
  const packageDir = join(opts.stateDir, "lua");
  await writeLuaMetricsModule(packageDir);
  const reader = new LuaMetricsReader();
  const socketPath = controlSocket(opts.stateDir);
  return {
    sink: { kind: "lua", modulesDir: opts.modulesDir, packageDir },
    settle: async () => {
      await new Promise((resolve) => setTimeout(resolve, LUA_METRICS_FLUSH_MS + 20));
      reader.apply(await controlGet(socketPath, LUA_METRICS_PATH), opts.metrics);
    },
    close: () => Promise.resolve(),
  };
}

/** A Secret's certificate file: named by a hash of its id, so a new resourceVersion is a new file. */
function certificateFile(stateDir: string, cert: ParsedCertificate): string {
  return join(stateDir, "certs", `${createHash("sha256").update(cert.id).digest("hex").slice(0, 24)}.pem`);
}
