// @kubeplane/controller-manager: runs the selected controllers while holding the leader lease.
import { connectControllerProcess, serveUntilStopped, type Manager } from "@kubeplane/controller";
import { descriptorSet } from "@kubeplane/api";
import { Service, type Logger, type RunContext } from "@kubeplane/service-kit";
import type { ControllerManagerConfig } from "./config.js";
import type { ControllerContext } from "./controllers/context.js";
import { EventRecorders } from "./controllers/event-recorders.js";
import { controllerRegistry, selectControllers } from "./controllers/registry.js";
import { registerStateMetrics } from "./state-metrics.js";

export { controllerManagerConfig, type ControllerManagerConfig } from "./config.js";
export { controllerRegistry, selectControllers } from "./controllers/registry.js";

export interface ControllerManager {
  manager: Manager;
  service: Service;
  /** Resolves when the manager stopped (rejects with LeadershipLostError if the lease was lost). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** How long shutdown waits for queued Events to be written. */
const eventFlushTimeoutMs = 2_000;

/** Starts the controller-manager: serving health and metrics, campaigning, then reconciling. */
export async function startControllerManager(
  config: ControllerManagerConfig,
  opts: { logger?: Logger; now?: () => Date } = {},
): Promise<ControllerManager> {
  const service = new Service({ name: "controller-manager", config, descriptorSet: descriptorSet(), ...(opts.logger ? { logger: opts.logger } : {}) });
  const logger = service.logger;
  const { client, manager, identity } = await connectControllerProcess(service, config, {
    name: "controller-manager",
    leaseName: "kube-controller-manager",
    logger,
    defaultWorkers: config.workers,
  });
  const names = selectControllers(config.controllers, Object.keys(controllerRegistry));
  const recorders = new EventRecorders({ client, instance: identity, logger });
  const ctx: ControllerContext = {
    manager,
    client,
    informers: manager.informers,
    logger,
    config,
    now: opts.now ?? (() => new Date()),
    recorder: (component) => recorders.for(component),
  };
  for (const name of names) controllerRegistry[name]!(ctx);
  registerStateMetrics(service.metrics, manager.informers); // kube_node_status_condition, kube_pod_status_phase, ...
  logger.info({ controllers: names, identity }, "controllers configured");

  const stopping = new AbortController();
  // Hooks run in reverse: after the controllers stopped recording, before the client closes.
  service.onStop(() => recorders.flush(eventFlushTimeoutMs));
  service.onStop(async () => {
    stopping.abort();
    await done.catch(() => undefined);
  });
  const done = manager.start(stopping.signal);
  await service.start();
  return { manager, service, done, stop: () => service.stop() };
}

/** The service's `run`: reconciles until SIGTERM; exits non-zero when leadership is lost. */
export async function run(config: ControllerManagerConfig, ctx: RunContext): Promise<void> {
  const cm = await startControllerManager(config, { logger: ctx.logger });
  await serveUntilStopped(cm, ctx.signal, ctx.logger);
}
