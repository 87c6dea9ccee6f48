// The manager: shared informers, the controllers, and leader election around them (k3s-style linear start).
import { setMaxListeners } from "node:events";
import type { Registry } from "prom-client";
import type { ApiClient, WatchConnection } from "@kubeplane/client";
import { Controller, type Reconciler } from "./controller.js";
import { SharedInformerFactory } from "@kubeplane/client";
import { LeaseElection } from "./lease-election.js";
import type { Logger } from "./logger.js";
import { controllerMetrics, type ControllerMetrics } from "./metrics.js";

export interface ManagerOptions {
  client: ApiClient;
  watch: WatchConnection;
  logger: Logger;
  registry: Registry;
  /** Workers of controllers that do not set their own. Default 2. */
  defaultWorkers?: number;
  /** Leader election through kube-system/<leaseName>; omit to run without (tests, single replica). */
  leaderElection?: {
    leaseName: string;
    identity: string;
    namespace?: string;
    leaseDurationMs?: number;
    renewDeadlineMs?: number;
    retryPeriodMs?: number;
  };
}

/** Thrown by `start` when this replica lost leadership: the process should exit and restart. */
export class LeadershipLostError extends Error {
  override readonly name = "LeadershipLostError";
  readonly code = "LeadershipLost";
}

/**
 * Owns the informers and controllers of one process. Build controllers with `newController`
 * (their informers come from `informers`), then `start`: it campaigns (if configured), then
 * starts the informers, waits for their caches, and runs every controller until the signal
 * aborts. Losing leadership stops everything and rejects with LeadershipLostError.
 */
export class Manager {
  readonly informers: SharedInformerFactory;
  readonly metrics: ControllerMetrics;
  readonly client: ApiClient;
  private readonly controllers: Controller[] = [];
  private leading = false;

  constructor(private readonly options: ManagerOptions) {
    this.client = options.client;
    this.metrics = controllerMetrics(options.registry);
    this.informers = new SharedInformerFactory(options.client, options.watch, { logger: options.logger, metrics: this.metrics.informers });
  }

  get isLeader(): boolean {
    return this.leading;
  }

  newController(opts: { name: string; reconciler: Reconciler; workers?: number }): Controller {
    const controller = new Controller({ workers: this.options.defaultWorkers, ...opts, metrics: this.metrics, logger: this.options.logger });
    this.controllers.push(controller);
    return controller;
  }

  async start(signal: AbortSignal): Promise<void> {
    const le = this.options.leaderElection;
    if (!le) {
      await this.runControllers(signal);
      return;
    }
    const election = new LeaseElection(this.client, {
      namespace: le.namespace ?? "kube-system",
      name: le.leaseName,
      identity: le.identity,
      leaseDurationMs: le.leaseDurationMs,
      renewDeadlineMs: le.renewDeadlineMs,
      retryPeriodMs: le.retryPeriodMs,
      logger: this.options.logger,
      onChange: (leading) => {
        this.leading = leading;
        this.metrics.leader.set({ name: le.leaseName }, leading ? 1 : 0);
      },
    });
    const ended = await election.run(signal, (term) => this.runControllers(term));
    if (!ended) throw new LeadershipLostError(`lost the lease ${le.leaseName}`);
  }

  private async runControllers(signal: AbortSignal): Promise<void> {
    // Every informer and controller worker listens on this one signal: not a leak.
    setMaxListeners(0, signal);
    this.informers.start(signal);
    try {
      await this.informers.waitForCacheSync(signal);
    } catch {
      await this.informers.stopped();
      return;
    }
    this.options.logger.info({ controllers: this.controllers.map((c) => c.name) }, "caches synced; starting controllers");
    await Promise.all(this.controllers.map((c) => c.start(signal)));
    await this.informers.stopped();
  }
}
