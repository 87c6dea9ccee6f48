// Connects a controller process (controller-manager, cloud-controller-manager) to the cluster: the
// apiserver client, NATS for the watches, and the Manager with its leader election.
import { hostname } from "node:os";
import type { NatsConnection } from "nats";
import type { Registry } from "prom-client";
import { connectCluster, type ApiClient, type ClusterConnectionSettings } from "@kubeplane/client";
import type { Logger } from "./logger.js";
import { Manager } from "./manager.js";

/** The settings every controller process has (its config keys of the same names; durations in ms). */
export interface ControllerProcessConfig extends ClusterConnectionSettings {
  identity?: string;
  leaderElect: boolean;
  leaseDuration: number;
  renewDeadline: number;
  retryPeriod: number;
}

/** What this needs of the service kit's Service (this library does not depend on it). */
export interface ServiceHooks {
  readonly metrics: Registry;
  onStop(hook: () => Promise<void> | void): void;
  addReadinessCheck(name: string, check: () => boolean | Promise<boolean>): void;
}

export interface ControllerProcess {
  client: ApiClient;
  nc: NatsConnection;
  manager: Manager;
  /** This replica's name in leader election (config `identity`, else hostname-pid). */
  identity: string;
}

/**
 * Connects to the apiserver and NATS and builds the Manager (leader election on
 * kube-system/`leaseName` when `leaderElect`). NATS becomes a readiness check, and closing the
 * client and the NATS connection become stop hooks; registered first, they run last (hooks run in
 * reverse), so the caller's own hooks (stop the manager, flush events) come before them.
 */
export async function connectControllerProcess(
  service: ServiceHooks,
  config: ControllerProcessConfig,
  opts: { name: string; leaseName: string; logger: Logger; defaultWorkers?: number },
): Promise<ControllerProcess> {
  const { client, nc } = await connectCluster(config, { name: opts.name, hooks: service });
  const identity = config.identity || `${hostname()}-${process.pid}`;
  const manager = new Manager({
    client,
    watch: { js: nc.jetstream(), jsm: await nc.jetstreamManager() },
    logger: opts.logger,
    registry: service.metrics,
    ...(opts.defaultWorkers !== undefined ? { defaultWorkers: opts.defaultWorkers } : {}),
    leaderElection: config.leaderElect
      ? { leaseName: opts.leaseName, identity, leaseDurationMs: config.leaseDuration, renewDeadlineMs: config.renewDeadline, retryPeriodMs: config.retryPeriod }
      : undefined,
  });
  return { client, nc, manager, identity };
}
