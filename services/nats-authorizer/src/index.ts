// The nats-authorizer: keeps nats-server's node users in step with the cluster's Nodes, so a node that joins with a bootstrap token reaches NATS without anyone editing nats.conf.
import { ApiClient } from "@kubeplane/client";
import { Service, type Logger, type RunContext } from "@kubeplane/service-kit";
import type { NatsAuthorizerConfig } from "./config.js";
import { natsAuthorizerMetrics } from "./metrics.js";
import { NodeUserSync } from "./node-user-sync.js";

export { natsAuthorizerConfig, type NatsAuthorizerConfig } from "./config.js";
export { renderAuthorizationFile } from "./authorization-file.js";
export { NatsReloadError, writeAndReload, type NatsReloaderOptions } from "./nats-reloader.js";
export { NodeUserSync, type NodeUserSyncOptions } from "./node-user-sync.js";
export { natsAuthorizerMetrics, type NatsAuthorizerMetrics } from "./metrics.js";

/** A started nats-authorizer. */
export interface RunningNatsAuthorizer {
  service: Service;
  sync: NodeUserSync;
  /** Stops the sync (after the render under way), then the listeners and the apiserver channel. Never rejects. */
  stop(): Promise<void>;
}

/**
 * Starts the authorizer: its listeners (metrics, health; ready once Nodes were listed and the file
 * on disk matches them) and the sync loop. Throws ServiceStartError when a listener cannot be bound.
 */
export async function startNatsAuthorizer(config: NatsAuthorizerConfig, opts: { logger?: Logger } = {}): Promise<RunningNatsAuthorizer> {
  const service = new Service({ name: "nats-authorizer", config, ...(opts.logger ? { logger: opts.logger } : {}) });
  const client = ApiClient.connect({
    server: config.apiserver,
    caFile: config.caFile,
    certFile: config.clientCertFile,
    keyFile: config.clientKeyFile,
    userAgent: "kubeplane-nats-authorizer",
  });
  service.onStop(() => client.close());
  const sync = new NodeUserSync({
    client,
    logger: service.logger,
    metrics: natsAuthorizerMetrics(service.metrics),
    staticUsersFile: config.staticUsersFile,
    reloader: { file: config.authorizationFile, pidFile: config.natsPidFile, monitorUrl: config.natsMonitorUrl, timeoutMs: config.reloadTimeout },
    resyncMs: config.resyncPeriod,
  });
  const stopping = new AbortController();
  let running: Promise<void> = Promise.resolve();
  // Registered after client.close, so it runs first (hooks run in reverse).
  service.onStop(async () => {
    stopping.abort();
    await running;
  });
  service.addReadinessCheck("node-users-in-step", () => sync.ready);
  try {
    await service.start();
  } catch (err) {
    await service.stop();
    throw err;
  }
  running = sync.run(stopping.signal);
  service.logger.info({ apiserver: config.apiserver, file: config.authorizationFile, pidFile: config.natsPidFile }, "keeping nats-server's node users in step with the Nodes");
  return { service, sync, stop: () => service.stop() };
}

/** The service's `run`: keeps the users in step until SIGTERM. */
export async function run(config: NatsAuthorizerConfig, ctx: RunContext): Promise<void> {
  const authorizer = await startNatsAuthorizer(config, { logger: ctx.logger });
  if (!ctx.signal.aborted) await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
  await authorizer.stop();
}
