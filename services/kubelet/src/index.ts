// @kubeplane/kubelet: the node agent. Registers its Node, renews its Lease, runs the pods bound to
// it through the CRI (containerd), probes them, reports their status, and serves logs, exec and
// stats over gRPC. `--simulate N` instead registers N simulated nodes (scale tests only).
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { descriptorSet, kubeletV1 } from "@kubeplane/api";
import { connectApiserver, connectCluster, connectNatsWithRetry, EventBroadcaster, rotatingChannelCredentials, type WatchConnection } from "@kubeplane/client";
import { createLogger, Service, type Logger, type RunContext } from "@kubeplane/service-kit";
import { writeCniConfig } from "./cni/cni-config.js";
import type { KubeletConfig } from "./config.js";
import { connectCri } from "./cri/client.js";
import { EVENT_REASONS, podEventRecorder, probeFailedMessage } from "./events.js";
import { startNodeAgent, type NodeAgent, type NodeHealth } from "./node/index.js";
import { firstExternalIPv4, parseNodeIps } from "./node/host-info.js";
import { nodeKind } from "./node/node-status.js";
import { ProbeManager } from "./probe/prober.js";
import { Backoff } from "./pods/backoff.js";
import { runtimeContainerLocator, runtimeSandboxLocator } from "./pods/container-locator.js";
import { ImagePuller } from "./pods/images.js";
import { instrumentRuntime, kubeletMetrics } from "./pods/metrics.js";
import { PodManager } from "./pods/pod-manager.js";
import { kubeletApiSources } from "./pods/api-sources.js";
import { PodSyncer } from "./pods/pod-syncer.js";
import { resourceMetrics } from "./pods/resource-metrics.js";
import { importAirgapImages, imageHandlers } from "./server/image-import.js";
import { kubeletServiceHandlers, procNodeUsage, StatsSummary, streamingHandlers } from "./server/index.js";
import { startSimulatedNodes } from "./simulate/index.js";
import { bootstrapKubeletTls, startNodeCertificateRotation, type BootstrappedFiles } from "./bootstrap/index.js";

export { kubeletConfig, type KubeletConfig } from "./config.js";

/** The kubelet's version as it reports it (nodeInfo.kubeletVersion). */
export const KUBELET_VERSION = "v0.1.0";

export interface Kubelet {
  service: Service;
  nodeName: string;
  stop(): Promise<void>;
}

/** Parses --node-labels (key=value). */
function parseLabels(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf("=");
    if (i <= 0) throw new Error(`node-labels: "${item}" is not key=value`);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

/** Parses --register-with-taints (key[=value]:Effect). */
function parseTaints(items: readonly string[]): { key: string; value: string; effect: string; timeAdded: string }[] {
  return items.map((item) => {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(item);
    if (!m) throw new Error(`register-with-taints: "${item}" is not key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
    return { key: m[1]!, value: m[2] ?? "", effect: m[3]!, timeAdded: "" };
  });
}


/**
 * Runs TLS bootstrapping for certDir and returns the configuration that uses its files: the
 * client certificate for the apiserver and NATS (the apiserver's channel re-reads it, so rotation
 * reaches it) and the serving certificate, verified against caFile (whose hash is pinned).
 */
async function tlsBootstrap(config: KubeletConfig, logger: Logger): Promise<{ config: KubeletConfig; files: BootstrappedFiles; credentials: ReturnType<typeof rotatingChannelCredentials> }> {
  if (!config.caFile || !config.caCertHash) throw new Error("certDir (TLS bootstrapping) needs caFile and caCertHash");
  const nodeName = config.nodeName || hostname().toLowerCase();
  const nodeIp = parseNodeIps(config.nodeIp || firstExternalIPv4() || "127.0.0.1")[0]!;
  const files = await bootstrapKubeletTls({ apiserver: config.apiserver, caFile: config.caFile, caCertHash: config.caCertHash, bootstrapToken: config.bootstrapToken, certDir: config.certDir!, nodeName, nodeIp }, logger);
  return {
    files,
    config: {
      ...config,
      nodeName,
      nodeIp: config.nodeIp || nodeIp,
      clientCertFile: files.clientFile,
      clientKeyFile: files.clientFile,
      tlsCertFile: files.servingFile,
      tlsKeyFile: files.servingFile,
      tlsClientCaFile: config.tlsClientCaFile || config.caFile,
    },
    credentials: rotatingChannelCredentials({ caFile: config.caFile, certFile: files.clientFile, keyFile: files.clientFile, refreshMs: 2_000 }),
  };
}

/** Starts the kubelet; resolves once it serves and its pod workers run. */
export async function startKubelet(kubeletConfig: KubeletConfig, opts: { logger?: Logger } = {}): Promise<Kubelet> {
  // TLS bootstrapping (certDir): the certificates are the node's own, from CSRs; they replace the configured files.
  const boot = kubeletConfig.certDir && kubeletConfig.simulate === 0 ? await tlsBootstrap(kubeletConfig, opts.logger ?? createLogger("kubelet", kubeletConfig.logLevel)) : undefined;
  const config = boot?.config ?? kubeletConfig;
  const service = new Service({ name: "kubelet", config, descriptorSet: descriptorSet(), ...(opts.logger ? { logger: opts.logger } : {}) });
  const logger = service.logger;
  const cluster = { name: "kubelet", ...(boot ? { credentials: boot.credentials } : {}) };

  if (config.simulate > 0) {
    const { client, nc } = await connectCluster(config, { ...cluster, hooks: service });
    const watch = { nc, js: nc.jetstream(), jsm: await nc.jetstreamManager() };
    const sims = startSimulatedNodes({ client, watch, logger, registry: service.metrics, count: config.simulate, namePrefix: `${config.simulatePrefix}-`, kubeletVersion: KUBELET_VERSION, leaseRenewIntervalMs: config.nodeLeaseRenewInterval,
      ...(config.simulateStatsCertDir ? { stats: { certDir: config.simulateStatsCertDir, caFile: config.tlsClientCaFile || config.caFile || "" } } : {}) });
    service.onStop(() => sims.stop());
    await sims.ready();
    await service.start();
    logger.warn({ nodes: config.simulate }, "SIMULATED mode: pods are reported Running without running anything");
    return { service, nodeName: `${config.simulatePrefix}-*`, stop: () => service.stop() };
  }

  const client = connectApiserver(config, cluster);
  // NATS in the background: a node that joined with a bootstrap token has a NATS user only once its
  // Node exists (the nats-authorizer adds it), so the kubelet registers first and connects when it
  // can, retrying with back-off and saying why. Registered first, the hooks run last.
  const natsAbort = new AbortController();
  const natsConnecting = connectNatsWithRetry(config, { name: "kubelet", logger, signal: natsAbort.signal });
  natsConnecting.catch(() => undefined);
  let nc: Awaited<typeof natsConnecting> | undefined;
  service.addReadinessCheck("nats", () => nc !== undefined && !nc.isClosed());
  service.onStop(async () => {
    natsAbort.abort();
    await (await natsConnecting.catch(() => undefined))?.close();
  });
  service.onStop(() => client.close());

  const nodeName = config.nodeName || hostname().toLowerCase();
  // --node-ip: one address or one per family (dual stack); the first is the primary.
  const nodeIps = parseNodeIps(config.nodeIp || firstExternalIPv4() || "127.0.0.1");
  const nodeIp = nodeIps[0]!;
  const metrics = kubeletMetrics(service.metrics);
  // As the kubelet's recorder: source.component "kubelet", reportingInstance the node. Not in
  // --simulate (above): a scale test must not flood the apiserver with events.
  const broadcaster = new EventBroadcaster({
    client,
    component: "kubelet",
    instance: nodeName,
    host: nodeName,
    onError: (err, e) => logger.warn({ err: (err as Error).message, reason: e.reason, kind: e.involvedObject?.kind, namespace: e.involvedObject?.namespace, name: e.involvedObject?.name }, "could not record event"),
    onDrop: (e) => logger.debug({ reason: e.reason, name: e.involvedObject?.name }, "event dropped: queue full"),
  });
  // Registered after client.close, so it runs before it (hooks run in reverse order).
  service.onStop(() => broadcaster.flush());
  const events = podEventRecorder(broadcaster);
  const cri = connectCri(config.containerRuntimeEndpoint, { timeoutMs: config.runtimeRequestTimeout });
  service.onStop(() => cri.close());
  const runtime = instrumentRuntime(cri.runtime, metrics);
  const version = await runtime.version();
  // --resolv-conf="" means no host resolver (as the kubelet's); an unreadable file is reported and counts as empty.
  const hostResolvConf = config.resolvConf
    ? await readFile(config.resolvConf, "utf8").catch((err: unknown) => {
        logger.warn({ err, path: config.resolvConf }, "cannot read the host resolv.conf: pods with dnsPolicy Default get no nameserver from it");
        return "";
      })
    : undefined;

  let health: NodeHealth = { ready: false, message: "container runtime status check may not have completed yet" };
  let pods: PodManager | undefined;
  const probes = new ProbeManager({
    runtime,
    onChange: (uid) => pods?.wake(uid),
    observe: (kind, result) => metrics.probes.inc({ probe_type: kind, result: result === "success" ? "successful" : "failed" }),
    failed: (pod, container, kind, output) => events(pod, "Warning", EVENT_REASONS.ContainerUnhealthy, probeFailedMessage(kind, output), container),
  });
  service.onStop(() => probes.stop());
  const syncer = new PodSyncer({
    runtime,
    puller: new ImagePuller(cri.images, new Backoff(config.imagePullBackoffInitial, config.imagePullBackoffMax)),
    probes,
    restartBackoff: new Backoff(config.crashLoopBackoffInitial, config.crashLoopBackoffMax),
    logger,
    nodeName,
    hostIp: nodeIp,
    rootDir: config.rootDir,
    logRoot: config.podLogDir,
    cgroupRoot: config.cgroupRoot,
    clusterDns: config.clusterDns,
    clusterDomain: config.clusterDomain,
    hostResolvConf,
    backoffResetMs: 10 * 60_000,
    runtimeName: version.runtimeName,
    now: () => new Date(),
    events,
    metrics,
    ...kubeletApiSources(client, { nodeName, nodeIp, rootDir: config.rootDir }),
  });
  const newPodManager = (watch: WatchConnection): PodManager =>
    new PodManager({ client, watch, runtime, syncer, probes, logger, metrics, events, nodeName, rootDir: config.rootDir, cgroupRoot: config.cgroupRoot, resyncMs: config.syncFrequency, workers: config.podWorkers });

  // The airgap images directory: archives placed there are in the runtime before any pod syncs.
  if (config.imageImportDir) await importAirgapImages(config.containerRuntimeEndpoint, config.imageImportDir, logger);
  const stats = new StatsSummary({ nodeName, runtime, nodeUsage: procNodeUsage });
  service.addService(
    kubeletV1.KubeletServiceService,
    {
      ...kubeletServiceHandlers({
        pods: { get: (ns, name) => pods?.getByName(ns, name), list: () => pods?.list() ?? [] },
        containers: runtimeContainerLocator(runtime, config.podLogDir),
        runtime,
        stats,
        logger,
      }),
      ...streamingHandlers({
        pods: { get: (ns, name) => pods?.getByName(ns, name), list: () => pods?.list() ?? [] },
        containers: runtimeContainerLocator(runtime, config.podLogDir),
        runtime,
        sandboxOf: runtimeSandboxLocator(runtime),
        logger,
      }),
      ...imageHandlers({ runtimeEndpoint: config.containerRuntimeEndpoint, scratchDir: `${config.rootDir}/image-import`, images: cri.images, logger }),
    } as never,
  );
  const addresses = await service.start();
  const kubeletPort = Number(addresses.grpcAddress.slice(addresses.grpcAddress.lastIndexOf(":") + 1));

  // Runtime health (and, with --cni-conf-dir, the pod network for the node's podCIDR) gates Ready.
  let syncStatus = (): void => undefined;
  const checkHealth = async (): Promise<void> => {
    const conditions = await runtime.status().catch((err: Error) => [{ type: "RuntimeReady", status: false, reason: "RuntimeUnreachable", message: err.message }]);
    const failing = conditions.filter((c) => (c.type === "RuntimeReady" || c.type === "NetworkReady") && !c.status);
    const next: NodeHealth = failing.length ? { ready: false, message: failing.map((c) => `container runtime ${c.type}=false reason:${c.reason} message:${c.message}`).join("; ") } : { ready: true };
    if (next.ready !== health.ready) syncStatus();
    health = next;
  };
  // Asked once before the first status write: a restarted kubelet whose runtime and pod network are
  // up reports Ready from the start instead of flapping through NotReady.
  await checkHealth();

  const agentAbort = new AbortController();
  const agent: NodeAgent = startNodeAgent({
    client,
    logger,
    registry: service.metrics,
    nodeName,
    rootDir: config.rootDir,
    nodeIps,
    labels: parseLabels(config.nodeLabels),
    taints: parseTaints([...config.registerWithTaints, ...(config.cloudProvider === "external" ? ["node.cloudprovider.kubernetes.io/uninitialized=true:NoSchedule"] : [])]),
    podCidr: config.podCidr || undefined,
    maxPods: config.maxPods,
    kubeletVersion: KUBELET_VERSION,
    containerRuntimeVersion: `${version.runtimeName}://${version.runtimeVersion}`,
    kubeletPort,
    images: () => cri.images.listImages(),
    healthy: () => health,
    statusUpdateIntervalMs: config.nodeStatusUpdateFrequency,
    leaseRenewIntervalMs: config.nodeLeaseRenewInterval,
    recordEvent: (n, type, reason, message) => broadcaster.record(nodeKind, n, type, reason, message),
    signal: agentAbort.signal,
  });
  service.onStop(() => agent.stop());
  syncStatus = () => agent.syncStatus();

  const node = await agent.waitForRegistration();
  // The pods come over NATS: wait for the connection (the user follows the Node just registered).
  const natsConnection = await natsConnecting;
  nc = natsConnection;
  const manager = newPodManager({ js: natsConnection.jetstream(), jsm: await natsConnection.jetstreamManager() });
  pods = manager;
  if (boot && config.rotateCertificates) {
    const rotationAbort = new AbortController();
    const rotation = startNodeCertificateRotation({
      files: boot.files,
      caFile: config.caFile!,
      client,
      nodeName,
      nodeIp,
      clientRotated: () => natsConnection.reconnect(),
      servingRotated: () => service.reloadServingCertificate(),
      logger,
      signal: rotationAbort.signal,
    });
    service.onStop(() => {
      rotationAbort.abort();
      return rotation;
    });
  }
  broadcaster.record(nodeKind, node, "Normal", EVENT_REASONS.StartingKubelet, "Starting kubelet.");
  if (config.cniConfDir) {
    // spec.podCIDRs holds one CIDR per family (dual stack: IPv4 first, then IPv6).
    const podCidrs = node.spec?.podCidrs.length ? node.spec.podCidrs : node.spec?.podCidr ? [node.spec.podCidr] : (config.podCidr ?? "").split(",").filter(Boolean);
    const podCidr = podCidrs.find((c) => !c.includes(":"));
    const ipv6PodCidr = podCidrs.find((c) => c.includes(":"));
    if (!podCidr) throw new Error(`node ${nodeName} has no IPv4 spec.podCIDR and --pod-cidr is not set: cannot configure the pod network`);
    await writeCniConfig(config.cniConfDir, { podCidr, ipv6PodCidr, bridge: config.cniBridge, ipamDataDir: config.cniDataDir || `${config.rootDir}/cni` });
    logger.info({ podCidr, ipv6PodCidr, dir: config.cniConfDir }, "pod network configured");
  }
  await checkHealth();
  const healthTimer = setInterval(() => void checkHealth(), 5_000);
  healthTimer.unref();
  const usage = resourceMetrics(service.metrics);
  const statsTimer = setInterval(
    () =>
      void stats.sample().then(
        (sample) => usage.record(sample),
        (err: Error) => logger.debug({ err: err.message }, "stats sample failed"),
      ),
    10_000,
  );
  statsTimer.unref();
  service.onStop(() => {
    clearInterval(healthTimer);
    clearInterval(statsTimer);
  });

  await manager.start();
  service.onStop(() => manager.stop());
  service.addReadinessCheck("pods", () => Promise.resolve(manager.informer.hasSynced));
  logger.info({ nodeName, nodeIp, runtime: `${version.runtimeName} ${version.runtimeVersion}` }, "kubelet started");
  return { service, nodeName, stop: () => service.stop() };
}

/** The service's `run`: serves until SIGTERM. Running containers are left running (a restart adopts them). */
export async function run(config: KubeletConfig, ctx: RunContext): Promise<void> {
  const kubelet = await startKubelet(config, { logger: ctx.logger });
  await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
  await kubelet.stop();
}
