// @kubeplane/kube-proxy: programs nftables so Service IPs, NodePorts and LoadBalancer IPs reach ready endpoints.
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { descriptorSet, kindFor, type KindInfo } from "@kubeplane/api";
import { SharedInformerFactory, connectCluster } from "@kubeplane/client";
import { Service as KitService, type Logger, type RunContext } from "@kubeplane/service-kit";
import type { KubeProxyConfig } from "./config.js";
import { HealthCheckServers, healthCheckPorts } from "./healthcheck.js";
import { kubeProxyMetrics } from "./metrics.js";
import { renderCleanup } from "./nft-render.js";
import { nftRunner } from "./nft-runner.js";
import { startNetworkPolicy, stopNetworkPolicy } from "./netpol/start.js";
import { Proxier } from "./proxier.js";
import { proxiedFamilies } from "./ip-families.js";
import { tableName } from "./ruleset.js";
import { buildServicePorts, serviceNameLabel, type EndpointSlice, type IpFamily, type Service, type ServicePortInfo } from "./service-port.js";

export { kubeProxyConfig, type KubeProxyConfig } from "./config.js";
export { servingEndpoints, type ProxyEndpoint } from "./endpoints.js";
export { affinitySet, clusterChain, endpointChain, localChain, externalChain, serviceChain, shortHash } from "./chain-names.js";
export { HealthCheckServers, healthCheckPorts, type ServiceHealth } from "./healthcheck.js";
export { kubeProxyMetrics, type KubeProxyMetrics } from "./metrics.js";
export { renderCleanup, renderDelta, renderFull, type DeltaBlocker, type ExistingObjects } from "./nft-render.js";
export { NftError, nftRunner, type NftRunner } from "./nft-runner.js";
export { NetworkPolicyEnforcer, compileRuleset, netpolPod, netpolTable, renderRuleset, type CompiledRuleset, type NetpolModel, type NetpolPod } from "./netpol/index.js";
export { NftStateBuilder, stateCounts, type NftChain, type NftMap, type NftState } from "./nft-state.js";
export { Proxier, type ProxierOptions, type SyncResult } from "./proxier.js";
export { proxiedFamilies, type ProxiedFamily } from "./ip-families.js";
export { FragmentCache, buildRuleset, servicePortFragment, tableName, type NftFamily, type RulesetOptions, type ServicePortFragment } from "./ruleset.js";
export { buildServicePorts, defaultAffinitySeconds, serviceNameLabel, type IpFamily, type L4Protocol, type ServicePortInfo } from "./service-port.js";

const services = kindFor("v1", "Service") as KindInfo<Service>;
const endpointSlices = kindFor("discovery.k8s.io/v1", "EndpointSlice") as KindInfo<EndpointSlice>;

/** A started kube-proxy: its serving side and its sync loops. */
export interface RunningKubeProxy {
  service: KitService;
  /** The IPv4 proxier (`ip kube-proxy`). */
  proxier: Proxier;
  /** Every proxier: IPv4, and IPv6 (`ip6 kube-proxy`) when --cluster-cidr is dual-stack. */
  proxiers: Proxier[];
  /** Stops syncing (the rules stay in place), closes the connections and the listeners. */
  stop(): Promise<void>;
}

/** Starts kube-proxy: informers on Services and EndpointSlices feed the proxier; ready after the first sync. */
export async function startKubeProxy(config: KubeProxyConfig, opts: { logger?: Logger } = {}): Promise<RunningKubeProxy> {
  const service = new KitService({ name: "kube-proxy", config, descriptorSet: descriptorSet(), ...(opts.logger ? { logger: opts.logger } : {}) });
  const logger = service.logger;
  const { client, nc } = await connectCluster(config, { name: "kube-proxy", hooks: service });
  const informers = new SharedInformerFactory(client, { js: nc.jetstream(), jsm: await nc.jetstreamManager() }, { logger });
  const serviceInformer = informers.informerFor(services);
  const sliceInformer = informers.informerFor(endpointSlices, {
    service: (s) => {
      const owner = s.metadata?.labels?.[serviceNameLabel];
      return owner ? [`${s.metadata?.namespace ?? ""}/${owner}`] : [];
    },
  });
  const nodeName = config.hostnameOverride || hostname();
  const health = new HealthCheckServers(config.healthCheckBindAddress, logger);
  const metrics = kubeProxyMetrics(service.metrics);
  // The health-check ports are served once per Service, whichever family's sync saw it last.
  const portsByFamily = new Map<IpFamily, readonly ServicePortInfo[]>();
  const families = proxiedFamilies(config);
  const proxiers = families.map(
    ({ family, ruleset }) =>
      new Proxier({
        runner: nftRunner(config.netns),
        ruleset,
        servicePorts: () => {
          const ports = buildServicePorts(serviceInformer.lister.list(), (ns, name) => sliceInformer.lister.byIndex("service", `${ns}/${name}`), nodeName, family);
          portsByFamily.set(family, ports);
          health.update(healthCheckPorts([...portsByFamily.values()].flat()));
          return ports;
        },
        minSyncPeriodMs: config.minSyncPeriod,
        syncPeriodMs: config.syncPeriod,
        logger: logger.child({ table: `${ruleset.family} ${tableName}` }),
        metrics,
      }),
  );
  const proxier = proxiers[0]!;
  const onService = (): void => proxiers.forEach((p) => p.changed("service"));
  const onSlice = (): void => proxiers.forEach((p) => p.changed("endpoints"));
  serviceInformer.addEventHandler({ onAdd: onService, onUpdate: onService, onDelete: onService });
  sliceInformer.addEventHandler({ onAdd: onSlice, onUpdate: onSlice, onDelete: onSlice });

  const netpol = await startNetworkPolicy(config, informers, nodeName, service);

  const stopping = new AbortController();
  setMaxListeners(0, stopping.signal);
  informers.start(stopping.signal);
  const syncing = (async () => {
    try {
      await informers.waitForCacheSync(stopping.signal);
    } catch {
      return;
    }
    logger.info({ netns: config.netns || undefined, tables: families.map((f) => `${f.ruleset.family} ${tableName}`), nodeName }, "caches synced: programming nftables");
    await Promise.all([...proxiers.map((p) => p.run(stopping.signal)), netpol?.run(stopping.signal)]);
  })();
  service.addReadinessCheck("rules-synced", () => Promise.resolve(proxiers.every((p) => p.synced) && (netpol?.synced ?? true)));
  service.onStop(async () => {
    stopping.abort();
    await syncing;
    await informers.stopped();
    await health.close();
  });
  await service.start();
  return { service, proxier, proxiers, stop: () => service.stop() };
}

/** Removes kube-proxy's tables, IPv4 and IPv6 (`--cleanup`). */
export async function cleanupRules(config: KubeProxyConfig, logger: Logger): Promise<void> {
  await nftRunner(config.netns).apply(renderCleanup("ip", tableName) + renderCleanup("ip6", tableName));
  logger.info({ netns: config.netns || undefined, tables: [`ip ${tableName}`, `ip6 ${tableName}`] }, "removed kube-proxy's nftables tables");
  await stopNetworkPolicy(config, logger);
}

/** The service's `run`: syncs rules until SIGTERM, leaving them in place; with `--cleanup`, removes them and returns. */
export async function run(config: KubeProxyConfig, ctx: RunContext): Promise<void> {
  if (config.cleanup) return cleanupRules(config, ctx.logger);
  const proxy = await startKubeProxy(config, { logger: ctx.logger });
  if (!ctx.signal.aborted) await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
  await proxy.stop();
}
