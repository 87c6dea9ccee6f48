// The Service: one gRPC server and one HTTP listener with health, metrics, tracing and graceful stop.
import { once } from "node:events";
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  Server as GrpcServer,
  type Metadata,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { loadFileDescriptorSetFromBuffer } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import { context } from "@opentelemetry/api";
import { Gauge, type Registry } from "prom-client";
import { defineConfig, type ConfigOf } from "./config.js";
import { ServiceStartError } from "./errors.js";
import { createHttpServer, type ReadinessCheck } from "./http-server.js";
import { serverInterceptor } from "./interceptors.js";
import { createLogger, logLevels, type Logger } from "./logger.js";
import { GrpcServerMetrics, createRegistry } from "./metrics.js";
import { extractContext, startTracing } from "./tracing.js";
import { silenceIpServerNameWarning } from "./ip-servername-warning.js";
import { loadTls, ReloadableServerCredentials, serverCredentials, type ClientAuth, type TlsMaterial } from "./tls.js";

const hostPort = (value: string): string | undefined =>
  /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(value) && Number(value.slice(value.lastIndexOf(":") + 1)) <= 65535
    ? undefined
    : 'must be HOST:PORT, such as "127.0.0.1:6443" (port 0 picks a free one)';

/**
 * The settings every service has. Services spread this into their own schema with their own
 * default ports: `defineConfig({ ...serviceConfig({ grpc: "127.0.0.1:6443", http: "127.0.0.1:6080" }), … })`.
 */
export function serviceConfig(defaults: { grpc: string; http: string }) {
  return defineConfig({
    grpcListen: { type: "string", default: defaults.grpc, validate: hostPort, description: "Address of the gRPC listener" },
    httpListen: {
      type: "string",
      default: defaults.http,
      validate: hostPort,
      description: "Address of the HTTP listener for /metrics, /healthz and /readyz",
    },
    logLevel: { type: "enum", values: logLevels, default: "info", description: "Least severe log level written" },
    tlsCertFile: { type: "string", description: "PEM serving certificate for both listeners (required unless insecureServing)" },
    tlsKeyFile: { type: "string", description: "PEM private key for tlsCertFile" },
    tlsClientCaFile: {
      type: "string",
      description: "PEM CA bundle that signs client certificates: gRPC callers and /metrics scrapers must present one (required unless insecureServing)",
    },
    insecureServing: {
      type: "bool",
      default: false,
      description: "Serve plaintext and accept any caller: for debugging only, never in a deployment",
    },
    shutdownGracePeriod: {
      type: "duration",
      default: "10s",
      description: "How long in-flight calls may run after SIGTERM before they are cancelled",
    },
  });
}

/**
 * The settings of every component that talks to the cluster (all but the apiserver): where the
 * apiserver and NATS are, the CA that signed their serving certificates, and this component's
 * client certificate, which authenticates it to both.
 */
export function clusterClientConfig() {
  return defineConfig({
    apiserver: { type: "string", default: "127.0.0.1:6443", description: "The apiserver's gRPC address (host:port)" },
    natsUrl: {
      type: "string",
      default: "tls://127.0.0.1:4222",
      description: "NATS server URL(s), comma-separated (JetStream), that the apiserver publishes watch events to",
    },
    caFile: { type: "string", description: "PEM CA bundle that verifies the apiserver's and NATS's serving certificates" },
    clientCertFile: { type: "string", description: "PEM client certificate that authenticates this component to the apiserver and NATS" },
    clientKeyFile: { type: "string", description: "PEM private key of clientCertFile" },
  });
}

/** The fields of `serviceConfig` a Service reads. */
export type ServiceConfig = ConfigOf<ReturnType<typeof serviceConfig>>;

export interface ServiceOptions {
  /** The component name, e.g. "apiserver"; used in logs, metrics and traces. */
  name: string;
  config: ServiceConfig;
  logger?: Logger;
  registry?: Registry;
  /** Serialized FileDescriptorSet served by gRPC reflection (see @kubeplane/api). */
  descriptorSet?: Uint8Array;
  /**
   * Client certificates on the gRPC listener: `require` (default) fails the handshake without
   * one; `request` (the apiserver, which also takes bearer tokens) lets the handlers decide.
   */
  clientAuth?: ClientAuth;
}

/** Where a started service listens. */
export interface ServiceAddresses {
  grpcPort: number;
  httpPort: number;
  /** host:port of the gRPC listener, for clients. */
  grpcAddress: string;
  /** http(s)://host:port of the HTTP listener. */
  httpUrl: string;
}

const healthRefreshMs = 5_000;

function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(address.slice(i + 1)) };
}

/**
 * One Kubeplane service process's serving side. Register gRPC services and readiness checks,
 * then `start()`; `stop()` (or aborting the signal given to `run`) drains in-flight calls for up
 * to `shutdownGracePeriod`, cancels what remains, runs the `onStop` hooks in reverse order and
 * closes the listeners. Not re-startable. Methods are not safe to call concurrently with `start`.
 */
export class Service {
  readonly name: string;
  readonly logger: Logger;
  readonly metrics: Registry;
  private readonly config: ServiceConfig;
  private readonly clientAuth: ClientAuth;
  private readonly grpc: GrpcServer;
  private readonly health = new HealthImplementation({ "": "NOT_SERVING" });
  private readonly serviceNames: string[] = [];
  private readonly checks: ReadinessCheck[] = [];
  private readonly stopHooks: Array<() => Promise<void> | void> = [];
  private http: HttpServer | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private accepting = false;
  private stopping: Promise<void> | undefined;
  private addresses: ServiceAddresses | undefined;
  private credentials: ReturnType<typeof serverCredentials> | undefined;
  private expiry: Gauge | undefined;

  constructor(options: ServiceOptions) {
    this.name = options.name;
    this.config = options.config;
    this.clientAuth = options.clientAuth ?? "require";
    this.logger = options.logger ?? createLogger(options.name, options.config.logLevel);
    this.metrics = options.registry ?? createRegistry();
    startTracing({ serviceName: `kubeplane-${options.name}` });
    silenceIpServerNameWarning();
    // No channelz: nothing serves it, and its bookkeeping (a Date and a tracker object per call) is per-call CPU.
    this.grpc = new GrpcServer({ interceptors: [serverInterceptor(new GrpcServerMetrics(this.metrics))], "grpc.enable_channelz": 0 });
    this.health.addToServer(this.grpc);
    if (options.descriptorSet) {
      new ReflectionService(loadFileDescriptorSetFromBuffer(Buffer.from(options.descriptorSet))).addToServer(this.grpc);
    }
  }

  /**
   * Adds a gRPC service. Each handler runs inside the trace context of its call, so spans and
   * outgoing calls it makes join the caller's trace. Health reports the service by its full name.
   */
  addService(definition: ServiceDefinition, implementation: UntypedServiceImplementation): void {
    type Handler = (call: { metadata: Metadata }, ...rest: unknown[]) => unknown;
    const wrapped: UntypedServiceImplementation = {};
    for (const [key, method] of Object.entries(definition)) {
      const handler = implementation[key] as Handler | undefined;
      if (!handler) throw new ServiceStartError(`${this.name}: no handler for ${method.path}`);
      const traced: Handler = (call, ...rest) =>
        context.with(extractContext(call.metadata), () => handler.call(implementation, call, ...rest));
      wrapped[key] = traced as never;
      const serviceName = method.path.split("/")[1];
      if (serviceName && !this.serviceNames.includes(serviceName)) this.serviceNames.push(serviceName);
    }
    this.grpc.addService(definition, wrapped);
  }

  /** Adds a check that /readyz and gRPC health consult; the service is ready when all pass. */
  addReadinessCheck(name: string, check: ReadinessCheck["check"]): void {
    this.checks.push({ name, check });
  }

  /** Registers cleanup (closing clients, stopping loops) run after in-flight calls drained. */
  onStop(hook: () => Promise<void> | void): void {
    this.stopHooks.push(hook);
  }

  /** Binds both listeners and starts serving. Throws ServiceStartError when a listener fails. */
  async start(): Promise<ServiceAddresses> {
    const tls = this.loadServingTls();
    const grpcAt = splitHostPort(this.config.grpcListen);
    const credentials = serverCredentials(tls, this.clientAuth);
    this.credentials = credentials;
    const grpcPort = await new Promise<number>((resolve, reject) => {
      this.grpc.bindAsync(this.config.grpcListen, credentials, (err, port) =>
        err ? reject(new ServiceStartError(`${this.name}: cannot listen on ${this.config.grpcListen}: ${err.message}`, { cause: err })) : resolve(port),
      );
    });
    this.accepting = true;
    const http = createHttpServer({ registry: this.metrics, isAccepting: () => this.accepting, checks: this.checks }, tls);
    const httpAt = splitHostPort(this.config.httpListen);
    http.listen(httpAt.port, httpAt.host);
    try {
      await Promise.race([once(http, "listening"), once(http, "error").then(([err]) => Promise.reject(err))]);
    } catch (err) {
      this.grpc.forceShutdown();
      throw new ServiceStartError(`${this.name}: cannot listen on ${this.config.httpListen}: ${(err as Error).message}`, { cause: err });
    }
    this.http = http;
    const httpPort = (http.address() as AddressInfo).port;
    const hostForClients = (host: string) => (host.includes(":") ? `[${host}]` : host);
    this.addresses = {
      grpcPort,
      httpPort,
      grpcAddress: `${hostForClients(grpcAt.host)}:${grpcPort}`,
      httpUrl: `${tls ? "https" : "http"}://${hostForClients(httpAt.host)}:${httpPort}`,
    };
    await this.refreshHealth();
    // gRPC health has no pull hook like /readyz, so readiness is re-evaluated on a timer.
    this.healthTimer = setInterval(() => void this.refreshHealth(), healthRefreshMs).unref();
    this.logger.info({ ...this.addresses, tls: Boolean(tls) }, "service started");
    return this.addresses;
  }

  /**
   * The serving certificate, key and client CA; secure by default: without them the service
   * refuses to start unless `insecureServing` is set explicitly. Exports the certificate's expiry.
   */
  private loadServingTls(): TlsMaterial | undefined {
    const tls = loadTls({ certFile: this.config.tlsCertFile, keyFile: this.config.tlsKeyFile, clientCaFile: this.config.tlsClientCaFile });
    if (this.config.insecureServing) {
      if (tls) throw new ServiceStartError(`${this.name}: insecureServing and tlsCertFile exclude each other`);
      this.logger.warn("insecureServing: plaintext listeners that accept any caller (debugging only)");
      return undefined;
    }
    if (!tls) throw new ServiceStartError(`${this.name}: TLS is required: set tlsCertFile and tlsKeyFile (see kpctl pki), or insecureServing for debugging`);
    if (!tls.ca) throw new ServiceStartError(`${this.name}: tlsClientCaFile is required: callers are authenticated by their client certificates`);
    this.expiry ??= new Gauge({
      name: "kubeplane_serving_certificate_expiration_timestamp_seconds",
      help: "When this process's serving certificate expires (Unix seconds)",
      registers: [this.metrics],
    });
    this.expiry.set(tls.notAfter.getTime() / 1000);
    return tls;
  }

  /**
   * Re-reads tlsCertFile, tlsKeyFile and tlsClientCaFile and serves them on both listeners from
   * the next handshake on (open connections keep theirs): certificate rotation without a restart.
   * Call after the files were replaced (each written whole). Throws ServiceStartError when they
   * cannot be read, keeping the previous pair; a no-op before `start()` and with insecureServing.
   */
  reloadServingCertificate(): void {
    if (!(this.credentials instanceof ReloadableServerCredentials)) return;
    const tls = this.loadServingTls();
    if (!tls?.ca) return;
    this.credentials.reload({ ...tls, ca: tls.ca });
    if (this.http && "setSecureContext" in this.http) {
      (this.http as unknown as { setSecureContext(o: object): void }).setSecureContext({ cert: tls.cert, key: tls.key, ca: tls.ca });
    }
    this.logger.info({ notAfter: tls.notAfter.toISOString() }, "serving certificate reloaded");
  }

  /** Where the service listens; throws before `start()` resolved. */
  get listening(): ServiceAddresses {
    if (!this.addresses) throw new ServiceStartError(`${this.name}: not started`);
    return this.addresses;
  }

  /**
   * Re-evaluates readiness checks into the gRPC health status (SERVING when all pass). Runs every
   * 5 s while serving; call it after a change that should show at once. Never rejects.
   */
  async refreshHealth(): Promise<boolean> {
    let ok = this.accepting;
    for (const { check } of this.checks) {
      if (!ok) break;
      try {
        ok = await check();
      } catch {
        ok = false;
      }
    }
    const state = ok ? "SERVING" : "NOT_SERVING";
    for (const name of ["", ...this.serviceNames]) this.health.setStatus(name, state);
    return ok;
  }

  /** Graceful stop; concurrent and repeated calls share one stop. Never rejects. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** Starts, serves until `signal` aborts, then stops gracefully. */
  async run(signal: AbortSignal): Promise<ServiceAddresses> {
    const addresses = await this.start();
    if (!signal.aborted) await once(signal, "abort");
    await this.stop();
    return addresses;
  }

  private async shutdown(): Promise<void> {
    this.accepting = false;
    clearInterval(this.healthTimer);
    for (const name of ["", ...this.serviceNames]) this.health.setStatus(name, "NOT_SERVING");
    const grace = this.config.shutdownGracePeriod;
    this.logger.info({ gracePeriodMs: grace }, "shutting down: draining in-flight calls");
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), grace);
      this.grpc.tryShutdown(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!drained) {
      this.logger.warn({ gracePeriodMs: grace }, "grace period over: cancelling remaining calls");
      this.grpc.forceShutdown();
    }
    for (const hook of [...this.stopHooks].reverse()) {
      try {
        await hook();
      } catch (err) {
        this.logger.error({ err }, "stop hook failed");
      }
    }
    const http = this.http;
    if (http) {
      const closed = once(http, "close");
      http.close();
      http.closeAllConnections();
      await closed;
    }
    this.logger.info("service stopped");
  }
}
