// @kubeplane/cloud-controller-manager: runs the cloud controllers against a provider while holding the leader lease.
import { hostname } from "node:os";
import { connectControllerProcess, serveUntilStopped, type Manager } from "@kubeplane/controller";
import { descriptorSet } from "@kubeplane/api";
import { Service, type Logger, type RunContext } from "@kubeplane/service-kit";
import type { CloudControllerManagerConfig } from "./config.js";
import { controllerRegistry, selectControllers } from "./controllers/registry.js";
import { cloudEventRecorder } from "./events.js";
import { cloudMetrics } from "./metrics.js";
import type { CloudProvider } from "./provider/interface.js";
import { newCloudProvider } from "./provider/registry.js";

export { cloudControllerManagerConfig, type CloudControllerManagerConfig } from "./config.js";
export { controllerRegistry, selectControllers } from "./controllers/registry.js";
export { inTreeProviders, newCloudProvider } from "./provider/registry.js";
export type { ProviderFactory, ProviderOptions } from "./provider/provider-options.js";
export type * from "./provider/interface.js";
export { LoadBalancerUnavailableError } from "./provider/interface.js";
export { ProviderConfigError } from "./provider/bare-metal/config.js";

/** A started cloud-controller-manager. */
export interface CloudControllerManager {
  manager: Manager;
  service: Service;
  provider: CloudProvider;
  /** Resolves when the manager stopped (rejects with LeadershipLostError if the lease was lost). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the cloud-controller-manager: builds the provider (bad provider configuration throws
 * before anything starts), serves health and metrics, campaigns for the Lease, then reconciles.
 */
export async function startCloudControllerManager(config: CloudControllerManagerConfig, opts: { logger?: Logger } = {}): Promise<CloudControllerManager> {
  const names = selectControllers(config.controllers, Object.keys(controllerRegistry));
  const service = new Service({ name: "cloud-controller-manager", config, descriptorSet: descriptorSet(), ...(opts.logger ? { logger: opts.logger } : {}) });
  const logger = service.logger;
  const provider = await newCloudProvider(config.cloudProvider, {
    configFile: config.cloudConfig || undefined,
    localPathRoot: config.localPathRoot,
    localNodeName: config.localNodeName || hostname(),
    logger,
  });
  const { client, manager, identity } = await connectControllerProcess(service, config, { name: "cloud-controller-manager", leaseName: "cloud-controller-manager", logger });
  const ctx = { manager, client, informers: manager.informers, logger, config, provider, metrics: cloudMetrics(service.metrics), events: cloudEventRecorder(client, logger, identity) };
  for (const name of names) controllerRegistry[name]!(ctx);
  logger.info({ controllers: names, identity, provider: provider.name }, "cloud controllers configured");

  const stopping = new AbortController();
  const providerDone = provider.start(stopping.signal).catch((err: unknown) => logger.error({ err }, "cloud provider stopped with an error"));
  // Stop hooks run last-registered first: the controllers stop, then queued events are written, then the client closes.
  service.onStop(() => ctx.events.flush());
  service.onStop(async () => {
    stopping.abort();
    await Promise.all([done.catch(() => undefined), providerDone]);
  });
  const done = manager.start(stopping.signal);
  await service.start();
  return { manager, service, provider, done, stop: () => service.stop() };
}

/** The service's `run`: reconciles until SIGTERM; exits non-zero when leadership is lost. */
export async function run(config: CloudControllerManagerConfig, ctx: RunContext): Promise<void> {
  const ccm = await startCloudControllerManager(config, { logger: ctx.logger });
  await serveUntilStopped(ccm, ctx.signal, ctx.logger);
}
