// @kubeplane/ingress-controller: an HTTP(S) reverse proxy routing Ingress hosts and paths to Services' endpoints (issue 5).
import { setMaxListeners } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { kindFor, type coreV1Config, type coreV1Service, type discoveryV1, type KindInfo, type networkingV1 } from "@kubeplane/api";
import { SharedInformerFactory, connectCluster } from "@kubeplane/client";
import { Controller, controllerMetrics } from "@kubeplane/controller";
import { Service, type Logger, type RunContext } from "@kubeplane/service-kit";
import { CertificateStore } from "./certificate-store.js";
import type { IngressControllerConfig } from "./config.js";
import { BY_SERVICE_INDEX, IngressState, sliceServiceKey } from "./ingress-state.js";
import { ingressMetrics } from "./metrics.js";
import { NginxDataPlane } from "./nginx-data-plane.js";
import { listenHttp, listenHttps, resolveListenAddress, type ProxyListener } from "./proxy-listeners.js";
import { nodeAddress } from "./publish-address.js";
import { ReverseProxy } from "./reverse-proxy.js";
import { FALLBACK_COMMON_NAME, selfSignedCertificate } from "./self-signed-certificate.js";
import { StatusReconciler } from "./status-reconciler.js";
import { UpstreamAgents } from "./upstream-agents.js";

export { readyUpstreams, servicePortFor, upstreamKey, type Upstream } from "./backend-endpoints.js";
export { CertificateStore, type SecretGetter } from "./certificate-store.js";
export { ingressControllerConfig, ipPortProblem, type IngressControllerConfig } from "./config.js";
export { CertificateGenerationError, NginxConfigError, NginxStartError, UpstreamConnectTimeoutError, isConnectFailure } from "./errors.js";
export { LEGACY_CLASS_ANNOTATION, servesIngress, type ClassSelection } from "./ingress-class.js";
export { IngressState, SERVICE_NAME_LABEL, type IngressInformers } from "./ingress-state.js";
export { ingressMetrics, type IngressMetrics } from "./metrics.js";
export { elementsHavePrefix, pathElements, pathKind, requestPath, type PathKind } from "./path-match.js";
export { endToEndHeaders, upstreamRequestHeaders } from "./proxy-headers.js";
export { nodeAddress } from "./publish-address.js";
export { parseAccessLogLine, type AccessLogEntry } from "./access-log-metrics.js";
export { renderNginxConfig, type NginxRenderOptions } from "./nginx-config.js";
export { NginxDataPlane, type NginxDataPlaneOptions } from "./nginx-data-plane.js";
export { NginxProcess, type NginxProcessOptions } from "./nginx-process.js";
export { buildSite, upstreamName, type Site, type SiteInputs, type SiteLocation, type SiteServer, type SiteUpstream } from "./nginx-site.js";
export { ReverseProxy, type Resolution, type ReverseProxyOptions, type Router } from "./reverse-proxy.js";
export { RoundRobin } from "./round-robin.js";
export { RoutingTable, routingHost, type BackendRef, type Route, type RouteGroups } from "./routing-table.js";
export { FALLBACK_COMMON_NAME, selfSignedCertificate, type PemKeyPair } from "./self-signed-certificate.js";
export { StatusReconciler, statusPublishes } from "./status-reconciler.js";

const ingresses = kindFor("networking.k8s.io/v1", "Ingress") as KindInfo<networkingV1.Ingress>;
const services = kindFor("v1", "Service") as KindInfo<coreV1Service.Service>;
const endpointSlices = kindFor("discovery.k8s.io/v1", "EndpointSlice") as KindInfo<discoveryV1.EndpointSlice>;
const secrets = kindFor("v1", "Secret") as KindInfo<coreV1Config.Secret>;

/** A started ingress controller. */
export interface RunningIngressController {
  service: Service;
  state: IngressState;
  /** The proxy's ports, useful when the configuration asked for port 0. */
  httpPort: number;
  httpsPort: number;
  /** The IP written to the served Ingresses' status. */
  publishAddress: string;
  /** The nginx master's pid (nginx data plane only). */
  nginxPid(): number | undefined;
  /** Whether every informer has listed. */
  isSynced(): boolean;
  /** Stops proxying (in-flight requests get the grace period), then the informers and connections. Never rejects. */
  stop(): Promise<void>;
}

/**
 * Starts the ingress controller: informers on Ingresses, Services, EndpointSlices and Secrets
 * feed the routing table and certificates; the proxy serves on `proxyHttpListen` and
 * `proxyHttpsListen`; a controller writes the publish address into served Ingresses' status.
 * Ready (/readyz) once every informer has listed; until then requests get 404 or 503. Throws
 * ServiceStartError when a listener cannot be bound, CertificateGenerationError without openssl.
 */
export async function startIngressController(config: IngressControllerConfig, opts: { logger?: Logger } = {}): Promise<RunningIngressController> {
  const service = new Service({ name: "ingress-controller", config, ...(opts.logger ? { logger: opts.logger } : {}) });
  const logger = service.logger;
  // A scrape of the request metrics first waits for nginx's counts (one flush interval) and reads them.
  const metrics = ingressMetrics(service.metrics, config.dataPlane === "nginx" ? () => nginx?.settleRequestMetrics() ?? Promise.resolve() : undefined);
  const selection = { ingressClass: config.ingressClass, watchIngressWithoutClass: config.watchIngressWithoutClass };
  const publishAddress = config.publishAddress || nodeAddress();
  const certificates = new CertificateStore(await selfSignedCertificate(FALLBACK_COMMON_NAME), logger);
  const { client, nc } = await connectCluster(config, { name: "ingress-controller", hooks: service });
  const informers = new SharedInformerFactory(client, { js: nc.jetstream(), jsm: await nc.jetstreamManager() }, { logger });
  const watched = {
    ingresses: informers.informerFor(ingresses),
    services: informers.informerFor(services),
    slices: informers.informerFor(endpointSlices, { [BY_SERVICE_INDEX]: sliceServiceKey }),
    secrets: informers.informerFor(secrets),
  };
  const agents = new UpstreamAgents();
  const state = new IngressState(watched, selection, certificates, agents, metrics);
  const proxy = new ReverseProxy({ router: state, agents, metrics, logger, connectTimeoutMs: config.upstreamConnectTimeout });
  const statusController = new Controller({
    name: "ingress-status",
    reconciler: new StatusReconciler(client, ingresses, watched.ingresses.lister, selection, publishAddress),
    workers: 1,
    metrics: controllerMetrics(service.metrics),
    logger,
  });
  statusController.watch(watched.ingresses);
  const isSynced = (): boolean => Object.values(watched).every((i) => i.hasSynced);

  const listeners: ProxyListener[] = [];
  let nginx: NginxDataPlane | undefined;
  const stopping = new AbortController();
  setMaxListeners(0, stopping.signal);
  let statusLoop: Promise<void> = Promise.resolve();
  // onStop hooks run in reverse: the data plane drains first, then the status loop, informers, NATS and the client.
  service.onStop(async () => {
    stopping.abort();
    await Promise.all([informers.stopped(), statusLoop]);
  });
  service.onStop(() => agents.destroy());
  let ownStateDir: string | undefined;
  service.onStop(async () => {
    if (ownStateDir) await rm(ownStateDir, { recursive: true, force: true });
  });
  service.onStop(async () => {
    await Promise.all([...listeners.map((l) => l.close(config.shutdownGracePeriod)), nginx?.stop()]);
  });
  let [httpPort, httpsPort] = [0, 0];
  try {
    if (config.dataPlane === "nginx") {
      const [httpListen, httpsListen] = [await resolveListenAddress(config.proxyHttpListen), await resolveListenAddress(config.proxyHttpsListen)];
      [httpPort, httpsPort] = [httpListen.port, httpsListen.port];
      // Absolute: nginx resolves relative paths against its prefix, which is this directory.
      const stateDir = config.stateDir ? resolve(config.stateDir) : (ownStateDir = await mkdtemp(join(tmpdir(), "kp-ingress-")));
      nginx = await NginxDataPlane.start({
        stateDir,
        binary: config.nginxBinary,
        workerProcesses: config.nginxWorkerProcesses,
        httpListen: httpListen.address,
        httpsListen: httpsListen.address,
        connectTimeoutMs: config.upstreamConnectTimeout,
        shutdownGraceMs: config.shutdownGracePeriod,
        requestMetrics: config.nginxRequestMetrics,
        modulesDir: config.nginxModulesDir,
        minReloadIntervalMs: config.minReloadInterval,
        fallback: certificates.fallbackPem,
        inputs: () => ({
          routes: state.routes(),
          endpoints: (backend) => state.upstreams(backend),
          certificateFor: (host) => certificates.certificateFor(host),
          wildcardCertificateFor: (suffix) => certificates.wildcardCertificateFor(suffix),
          tlsHosts: certificates.tlsHosts(),
        }),
        metrics,
        registry: service.metrics,
        logger,
      });
      const plane = nginx;
      const rerender = { onAdd: () => plane.schedule(), onUpdate: () => plane.schedule(), onDelete: () => plane.schedule() };
      state.onSync(() => plane.schedule());
      watched.services.addEventHandler(rerender);
      watched.slices.addEventHandler(rerender);
    } else {
      listeners.push(await listenHttp(config.proxyHttpListen, proxy));
      listeners.push(await listenHttps(config.proxyHttpsListen, proxy, certificates));
      [httpPort, httpsPort] = [listeners[0]!.port, listeners[1]!.port];
    }
    informers.start(stopping.signal);
    service.addReadinessCheck("informers-synced", () => Promise.resolve(isSynced()));
    if (nginx) {
      const plane = nginx;
      service.addReadinessCheck("nginx-serving", () => Promise.resolve(plane.isServing()));
    }
    await service.start();
  } catch (err) {
    await service.stop();
    throw err;
  }
  logger.info({ http: httpPort, https: httpsPort, dataPlane: config.dataPlane, ingressClass: config.ingressClass, publishAddress }, "ingress controller proxying");
  // Status writes wait for the caches, so a served Ingress is never judged from a partial list.
  statusLoop = informers
    .waitForCacheSync(stopping.signal)
    .then(() => {
      state.sync();
      nginx?.enable();
      logger.info({ ingresses: state.served().length }, "caches synced: serving every Ingress of the class");
      return statusController.start(stopping.signal);
    })
    .catch((err: unknown) => {
      if (!stopping.signal.aborted) logger.error({ err }, "the Ingress status loop stopped");
    });
  return { service, state, httpPort, httpsPort, publishAddress, nginxPid: () => nginx?.pid, isSynced, stop: () => service.stop() };
}

/** The service's `run`: proxies until SIGTERM. */
export async function run(config: IngressControllerConfig, ctx: RunContext): Promise<void> {
  const controller = await startIngressController(config, { logger: ctx.logger });
  if (!ctx.signal.aborted) await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
  await controller.stop();
}
