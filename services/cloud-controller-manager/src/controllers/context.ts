// What every cloud controller's constructor gets: the manager, client, informers, provider, metrics, events, settings.
import type { ApiClient, SharedInformerFactory } from "@kubeplane/client";
import type { Manager } from "@kubeplane/controller";
import type { Logger } from "@kubeplane/service-kit";
import type { CloudControllerManagerConfig } from "../config.js";
import type { EventRecorder } from "../events.js";
import type { CloudMetrics } from "../metrics.js";
import type { CloudProvider } from "../provider/interface.js";

/** Shared by every controller of one cloud-controller-manager; controllers run after caches synced. */
export interface ControllerContext {
  manager: Manager;
  client: ApiClient;
  informers: SharedInformerFactory;
  logger: Logger;
  config: CloudControllerManagerConfig;
  provider: CloudProvider;
  metrics: CloudMetrics;
  events: EventRecorder;
}

/** Builds one controller (its informers, handlers and reconciler) on the manager. */
export type ControllerConstructor = (ctx: ControllerContext) => void;
