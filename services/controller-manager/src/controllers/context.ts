// What every controller's constructor gets: the manager, the client, the shared informers, settings.
import type { ApiClient, SharedInformerFactory } from "@kubeplane/client";
import type { Logger, Manager } from "@kubeplane/controller";
import type { ControllerManagerConfig } from "../config.js";
import type { EventRecorder } from "./event-recorders.js";

export interface ControllerContext {
  manager: Manager;
  client: ApiClient;
  informers: SharedInformerFactory;
  logger: Logger;
  config: ControllerManagerConfig;
  /** The clock; tests inject one (CronJob schedules, node heartbeats). */
  now: () => Date;
  /**
   * The Event recorder for a source component, as Kubernetes names them ("replicaset-controller",
   * "deployment-controller", …); the same recorder for the same name. Flushed at shutdown.
   */
  recorder: (component: string) => EventRecorder;
}

/** Builds one controller (its informers, handlers and reconciler) on the manager. */
export type ControllerConstructor = (ctx: ControllerContext) => void;
