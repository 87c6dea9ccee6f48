// @kubeplane/apiserver: the only gateway to etcd. Serves the generic object API over gRPC and,
// on the elected replica, publishes every committed change to NATS JetStream.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { connect as connectNats, type NatsConnection } from "nats";
import { descriptorSet, apiserverV1 } from "@kubeplane/api";
import { EtcdStore, LeaderElection, NodePortRange, ServiceIpRange } from "@kubeplane/storage";
import { WatchPublisher, ensureStream, natsConnectionOptions } from "@kubeplane/watch";
import { Service, ServiceStartError, type Logger, type RunContext, type ServiceAddresses as Addresses } from "@kubeplane/service-kit";
import type { ApiserverConfig } from "./config.js";
import { createHandlers } from "./grpc-handlers.js";
import { WriteTraces, traceWrites } from "./write-traces.js";
import { createApiserverMetrics, type ApiserverMetrics } from "./metrics.js";
import { Registry } from "./registry.js";
import { ServiceAddresses } from "./service-addresses.js";
import { createWatchHandler } from "./watch-server.js";
import { startCompactor } from "./compactor.js";
import { AUTHENTICATED_GROUP, MASTERS_GROUP, UnionAuthenticator, X509Authenticator, authenticateCalls, type Authenticator } from "./authn/index.js";
import { BootstrapTokenAuthenticator, bootstrapSecretLookup } from "./authn/bootstrap-token.js";
import { authorizeCalls, startAuthorization } from "./authz/index.js";
import { watchChangeSource } from "./watch-source.js";
import { EncryptionError, newValueTransformer } from "./encryption.js";
import { encryptionRules } from "./encryption-config.js";
import { serviceAccountSupport } from "./service-accounts.js";
import { newAdmissionChain } from "./admission/start.js";
import { startRestApi } from "./rest/index.js";
import { auditCalls, startAuditing } from "./audit/index.js";
import { createFlowControl, flowControlCalls } from "./flowcontrol/index.js";
import { backupHandlers } from "./backup.js";

export { apiserverConfig, type ApiserverConfig } from "./config.js";
export { Registry, systemNamespaces } from "./registry.js";

export const version = "v0.1.0";

/** A started apiserver: where it listens, and how to stop it. */
export interface Apiserver {
  addresses: Addresses;
  service: Service;
  registry: Registry;
  metrics: ApiserverMetrics;
  /** The Kubernetes REST API's base URL (https://host:port), when it is served (docs/rest-api.md). */
  restUrl?: string | undefined;
  /** True while this replica holds the watch publisher's leadership. */
  isLeader(): boolean;
  stop(): Promise<void>;
}

function parsePortRange(text: string): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  const min = Number(m?.[1]);
  const max = Number(m?.[2]);
  if (!m || min < 1 || max > 65535 || min > max) throw new Error(`serviceNodePortRange: "${text}" is not MIN-MAX within 1-65535`);
  return { min, max };
}

/** --service-cluster-ip-range: one CIDR, or two of different families (dual-stack, primary first). */
function serviceIpRanges(text: string): ServiceIpRange[] {
  const cidrs = text.split(",").map((c) => c.trim()).filter(Boolean);
  try {
    const ranges = cidrs.map((c) => new ServiceIpRange(c));
    if (ranges.length < 1 || ranges.length > 2 || (ranges.length === 2 && ranges[0]!.family === ranges[1]!.family)) {
      throw new RangeError("expected one CIDR, or two CIDRs of different IP families");
    }
    return ranges;
  } catch (err) {
    throw new Error(`serviceClusterIpRange: "${text}": ${(err as Error).message}`, { cause: err });
  }
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ServiceStartError(`cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** etcd's client TLS: its CA and the apiserver's etcd client certificate (etcd runs with --client-cert-auth). */
function etcdTls(config: ApiserverConfig): { ca: Buffer; cert: Buffer; key: Buffer } | undefined {
  const { etcdCaFile, etcdCertFile, etcdKeyFile } = config;
  if (!etcdCaFile && !etcdCertFile && !etcdKeyFile) {
    if (config.insecureServing) return undefined;
    throw new ServiceStartError("etcdCaFile, etcdCertFile and etcdKeyFile are required (etcd runs with client-certificate authentication)");
  }
  if (!etcdCaFile || !etcdCertFile || !etcdKeyFile) throw new ServiceStartError("etcd TLS needs all of etcdCaFile, etcdCertFile and etcdKeyFile");
  return { ca: readPem(etcdCaFile, "etcd CA"), cert: readPem(etcdCertFile, "etcd client certificate"), key: readPem(etcdKeyFile, "etcd client key") };
}

/** TLS towards kubelets: the cluster CA and the apiserver's kubelet-client certificate. */
function kubeletTls(config: ApiserverConfig): { ca: Buffer; cert: Buffer; key: Buffer } | undefined {
  if (!config.kubeletClientCertFile || !config.kubeletClientKeyFile || !config.caFile) {
    if (config.insecureServing) return undefined;
    throw new ServiceStartError("caFile, kubeletClientCertFile and kubeletClientKeyFile are required to reach kubelets over mutual TLS");
  }
  return { ca: readPem(config.caFile, "cluster CA"), cert: readPem(config.kubeletClientCertFile, "kubelet client certificate"), key: readPem(config.kubeletClientKeyFile, "kubelet client key") };
}

/** Who may call: client certificates signed by the client CA. insecureServing (debugging) lets anyone in as a cluster admin. */
function authenticator(config: ApiserverConfig, log: Logger, registry: Registry, serviceAccountTokens?: Authenticator): Authenticator {
  if (config.insecureServing) {
    log.warn("insecureServing: every caller is treated as a cluster admin");
    return { authenticate: () => ({ username: "system:insecure-debug", groups: [MASTERS_GROUP, AUTHENTICATED_GROUP] }) };
  }
  return new UnionAuthenticator([new X509Authenticator(), ...(serviceAccountTokens ? [serviceAccountTokens] : []), new BootstrapTokenAuthenticator(bootstrapSecretLookup(registry))]);
}

/**
 * Starts an apiserver: connects etcd and NATS, ensures the watch stream and the system
 * namespaces, serves gRPC, and campaigns to be the watch publisher. Used by `run` and by tests.
 */
export async function startApiserver(config: ApiserverConfig, logger?: Logger): Promise<Apiserver> {
  // Before anything starts: Secrets are never stored in plaintext because a flag was forgotten.
  const encryption = (() => {
    try {
      return encryptionRules(config);
    } catch (err) {
      if (err instanceof EncryptionError) throw new ServiceStartError(err.message, { cause: err });
      throw err;
    }
  })();
  // Client certificates are asked for but not required: a caller may authenticate with a bearer token instead.
  const service = new Service({ name: "apiserver", config, descriptorSet: descriptorSet(), clientAuth: "request", ...(logger ? { logger } : {}) });
  const log = service.logger;
  const metrics = createApiserverMetrics(service.metrics);
  // Runs last on stop (hooks run in reverse), after the gRPC server drained: every event of a served request is written.
  const auditor = startAuditing(config, service.metrics, log);
  if (auditor) service.onStop(() => auditor.shutdown());
  const identity = config.identity || `${hostname()}-${process.pid}`;
  const stopping = new AbortController();

  const store = EtcdStore.connect({
    endpoints: config.etcdEndpoints,
    tls: etcdTls(config),
    observe: (operation, seconds) => metrics.etcdRequestDuration.observe({ operation, type: "" }, seconds),
    groupCommit: config.etcdGroupCommit,
    observeGroupCommit: (writes) => metrics.groupCommitBatchSize.observe(writes),
  });
  const ports = parsePortRange(config.serviceNodePortRange);
  const transformer = newValueTransformer(encryption, (transformation_type, transformer_prefix, status) => metrics.transformations.inc({ transformation_type, transformer_prefix, status }));
  if (encryption.length === 0) log.warn("encryptionProvider=identity: objects, Secrets included, are stored unencrypted in etcd");
  const writeTraces = new WriteTraces(); // a write's trace continues on the watch event it produces
  const serviceAccounts = serviceAccountSupport(config, () => registry, log);
  const admission = newAdmissionChain({ config, registry: () => registry, logger: log, metrics: service.metrics, serviceAccountTokens: serviceAccounts.tokens !== undefined });
  const registry = new Registry(traceWrites(store, writeTraces), {
    maxObjectBytes: config.maxObjectBytes,
    transformer,
    eventTtlSeconds: Math.round(config.eventTtl / 1000),
    admission,
    addresses: new ServiceAddresses(serviceIpRanges(config.serviceClusterIpRange), new NodePortRange(ports.min, ports.max)),
  });

  const nats: NatsConnection = await connectNats({
    ...natsConnectionOptions(config.natsUrl, { caFile: config.caFile, clientCertFile: config.natsCertFile, clientKeyFile: config.natsKeyFile }, `kubeplane-apiserver-${identity}`),
    // Every JetStream publish is a request; async traces capture two stacks per request (~5 % of a write's CPU).
    noAsyncTraces: true,
  });
  const jsm = await nats.jetstreamManager();
  await ensureStream(jsm, {
    replicas: config.watchStreamReplicas,
    maxAgeMs: config.watchHistory,
    maxMessages: config.watchStreamMaxMessages || undefined,
    maxBytes: config.watchStreamMaxBytes || undefined,
  });
  const source = { js: nats.jetstream(), jsm };

  let namespacesReady = false;
  const ensureNamespaces = async (): Promise<void> => {
    for (let delay = 100; !stopping.signal.aborted; delay = Math.min(delay * 2, 5000)) {
      try {
        await registry.ensureSystemNamespaces();
        namespacesReady = true;
        return;
      } catch (err) {
        log.warn({ err }, "could not create the system namespaces yet; retrying");
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };
  await ensureNamespaces();
  const admissionCaches = admission.run(stopping.signal);
  const authorization = startAuthorization(registry, stopping.signal, log);

  const etcdVersion = await store.serverVersion().catch(() => "");
  const versionReply: apiserverV1.VersionReply = {
    gitVersion: version,
    platform: `${process.platform}/${process.arch}`,
    nodeVersion: process.version,
    etcdVersion,
  };
  const handlers = {
    ...createHandlers({ registry, metrics, logger: log, authorizer: authorization.authorizer, version: versionReply, kubeletTls: kubeletTls(config), metricsResolutionMs: config.metricResolution, tokens: serviceAccounts.tokens, maxListPageSize: config.maxListPageSize }),
    watch: createWatchHandler({ registry, source, metrics, logger: log, bookmarkIntervalMs: config.bookmarkInterval }),
    ...backupHandlers({ store, logger: log, kubeplaneVersion: version }),
  };
  const flowControl = createFlowControl(config, service.metrics);
  const limits = flowControlCalls(handlers, { ...flowControl, logger: log });
  service.addService(apiserverV1.ApiServerServiceService, auditCalls(authenticateCalls(authorizeCalls(limits, { authorizer: authorization.authorizer, escalation: authorization.escalation, logger: log }), authenticator(config, log, registry, serviceAccounts.authenticator), log), auditor));
  service.addReadinessCheck("etcd", async () => {
    await store.currentRevision();
    return true;
  });
  service.addReadinessCheck("nats", () => Promise.resolve(!nats.isClosed()));
  service.addReadinessCheck("system-namespaces", () => Promise.resolve(namespacesReady));

  // The watch publisher: only the elected replica publishes; a standby takes over within the lease TTL.
  let leading = false;
  const publisher = new WatchPublisher({
    // Decrypted, but Secrets without their data: their values never cross NATS (informers get them from the API).
    source: watchChangeSource(store, transformer, log),
    js: nats.jetstream(),
    jsm,
    logger: log,
    traceparentOf: (change) => writeTraces.publishing(change),
    onPublished: (resource, type, revision, lagSeconds) => {
      writeTraces.published(revision);
      metrics.watchEventsPublished.inc({ resource, type });
      metrics.publishedRevision.set(revision);
      if (lagSeconds !== undefined) metrics.publishLag.observe(lagSeconds);
    },
  });
  const election = new LeaderElection(store, { name: "kubeplane-watch-publisher", identity, ttlSeconds: Math.max(1, Math.round(config.leaderLeaseTtl / 1000)) });
  const electionDone = !config.publishWatchEvents
    ? Promise.resolve()
    : election
    .run(stopping.signal, async (termSignal) => {
      leading = true;
      metrics.isLeader.set(1);
      log.info({ identity }, "leading: publishing watch events");
      try {
        await publisher.run(termSignal);
      } finally {
        leading = false;
        metrics.isLeader.set(0);
        log.info({ identity }, "no longer leading the watch publisher");
      }
    })
    .catch((err: unknown) => log.error({ err }, "leader election ended with an error"));

  service.onStop(() => store.close());
  service.onStop(async () => {
    await nats.drain().catch(() => nats.close());
  });
  service.onStop(async () => {
    stopping.abort();
    await Promise.all([electionDone, admissionCaches, authorization.done]);
  });
  const compactor = startCompactor(store, { intervalMs: config.compactionInterval, logger: log });
  service.onStop(() => compactor.stop());

  await authorization.ready; // serve once the default policy is written and the authorizer's caches are filled
  const addresses = await service.start();
  const rest = await startRestApi(config, {
    deps: { handlers: limits, registry, authorizer: authorization.authorizer, escalation: authorization.escalation, watch: { registry, source, metrics, bookmarkIntervalMs: config.bookmarkInterval }, watchLimiter: flowControl.watchLimiter, logger: log },
    authenticator: authenticator(config, log, registry, serviceAccounts.authenticator),
    auditor,
    kubeplaneVersion: version,
    ready: () => Promise.resolve(namespacesReady && !nats.isClosed()),
    logger: log,
  });
  if (rest) service.onStop(() => rest.stop(config.shutdownGracePeriod));
  log.info({ grpc: addresses.grpcAddress, http: addresses.httpUrl, rest: rest?.url, identity }, "apiserver serving");
  return {
    addresses,
    service,
    registry,
    metrics,
    restUrl: rest?.url,
    isLeader: () => leading,
    stop: () => service.stop(),
  };
}

/** The service's `run`: serves until the signal aborts. */
export async function run(config: ApiserverConfig, ctx: RunContext): Promise<void> {
  const apiserver = await startApiserver(config, ctx.logger);
  if (ctx.signal.aborted) {
    await apiserver.stop();
    return;
  }
  await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
  await apiserver.stop();
}
