// @kubeplane/scheduler: the scheduling framework, its plugins and the scheduler service (issue 3).
import { hostname } from "node:os";
import { setMaxListeners } from "node:events";
import { descriptorSet, kindFor, schedulerV1, type KindInfo } from "@kubeplane/api";
import { SharedInformerFactory, connectCluster } from "@kubeplane/client";
import { LeadershipLostError, LeaseElection, serveUntilStopped } from "@kubeplane/controller";
import { Service, type Logger, type RunContext } from "@kubeplane/service-kit";
import type { SchedulerConfig } from "./config.js";
import { schedulerServiceHandlers } from "./explain.js";
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from "./framework/interface.js";
import { defaultConfiguration, loadSchedulerConfiguration } from "./framework/profile.js";
import { Scheduler } from "./scheduler.js";
import { schedulerMetrics } from "./metrics.js";

export * from "./framework/interface.js";
export { MutableNodeInfo, nodeInfoOf } from "./framework/node-info.js";
export { newPodInfo } from "./framework/pod-info.js";
export { emptyResource, nodeAllocatable, podRequests, resourceFromList } from "./framework/resources.js";
export { DuplicatePluginError, mergeRegistries, type Registry } from "./framework/registry.js";
export { inTreeRegistry } from "./plugins/registry.js";
export { Framework, nodeScores, type ExtensionPoint, type FrameworkPlugins, type NodeScore, type ScoreResult } from "./framework/framework.js";
export { SchedulingAlgorithm, numFeasibleNodesToFind, type ScheduleResult } from "./schedule-one.js";
export {
  DEFAULT_PLUGINS,
  DEFAULT_SCHEDULER_NAME,
  ProfileConfigError,
  buildFramework,
  defaultConfiguration,
  loadSchedulerConfiguration,
  validateSchedulerConfiguration,
  type PluginRef,
  type PluginSet,
  type ProfileConfig,
  type SchedulerConfiguration,
} from "./framework/profile.js";
export { SchedulerCache } from "./framework/cache.js";
export { NodeSnapshot, snapshotOf } from "./framework/snapshot.js";
export { SchedulingQueue, type ClusterEvent, type QueuedPodInfo, type QueueOptions } from "./framework/queue.js";
export { fitErrorMessage, newDiagnosis, type Diagnosis } from "./framework/diagnosis.js";
export { Scheduler, type SchedulerLogger, type SchedulerOptions } from "./scheduler.js";
export { schedulerMetrics, type SchedulerMetrics } from "./metrics.js";
export { schedulerConfig, type SchedulerConfig } from "./config.js";
export { explainSchedule, schedulerServiceHandlers, type ExplainSources } from "./explain.js";

const nodes = kindFor("v1", "Node") as KindInfo<Node>;
const pods = kindFor("v1", "Pod") as KindInfo<Pod>;
const claims = kindFor("v1", "PersistentVolumeClaim") as KindInfo<PersistentVolumeClaim>;
const volumes = kindFor("v1", "PersistentVolume") as KindInfo<PersistentVolume>;
const storageClasses = kindFor("storage.k8s.io/v1", "StorageClass") as KindInfo<StorageClass>;

export interface RunningScheduler {
  scheduler: Scheduler;
  service: Service;
  /** Resolves when scheduling stopped (rejects with LeadershipLostError if the lease was lost). */
  done: Promise<void>;
  isLeader(): boolean;
  stop(): Promise<void>;
}

/** Starts the scheduler: serving health and metrics, campaigning (if configured), then scheduling. */
export async function startScheduler(config: SchedulerConfig, opts: { logger?: Logger } = {}): Promise<RunningScheduler> {
  const configuration = config.profilesFile ? loadSchedulerConfiguration(config.profilesFile) : defaultConfiguration();
  const service = new Service({ name: "scheduler", config, descriptorSet: descriptorSet(), ...(opts.logger ? { logger: opts.logger } : {}) });
  const logger = service.logger;
  const identity = config.identity || `${hostname()}-${process.pid}`;
  const metrics = schedulerMetrics(service.metrics);
  const { client, nc } = await connectCluster(config, { name: "scheduler", hooks: service });
  const scheduler = new Scheduler({
    client,
    configuration,
    percentageOfNodesToScore: config.percentageOfNodesToScore,
    opportunisticBatching: config.opportunisticBatching,
    logger,
    metrics,
    identity,
    queue: { initialBackoffMs: config.podInitialBackoff, maxBackoffMs: config.podMaxBackoff },
  });
  const informers = new SharedInformerFactory(client, { js: nc.jetstream(), jsm: await nc.jetstreamManager() }, { logger });
  const podInformer = informers.informerFor(pods);
  scheduler.attach(informers.informerFor(nodes), podInformer);
  scheduler.attachStorage(informers.informerFor(claims), informers.informerFor(volumes), informers.informerFor(storageClasses));
  service.addService(schedulerV1.SchedulerServiceService, schedulerServiceHandlers({ scheduler, pods: podInformer.lister }));

  let leading = false;
  const schedule = async (signal: AbortSignal): Promise<void> => {
    setMaxListeners(0, signal);
    informers.start(signal);
    try {
      await informers.waitForCacheSync(signal);
    } catch {
      await informers.stopped();
      return;
    }
    logger.info({ profiles: [...scheduler.profiles.keys()] }, "caches synced: scheduling");
    await scheduler.run(signal);
    await informers.stopped();
  };
  const stopping = new AbortController();
  const done = (async () => {
    if (!config.leaderElect) return schedule(stopping.signal);
    const election = new LeaseElection(client, {
      namespace: "kube-system",
      name: "kube-scheduler",
      identity,
      leaseDurationMs: config.leaseDuration,
      renewDeadlineMs: config.renewDeadline,
      retryPeriodMs: config.retryPeriod,
      logger,
      onChange: (l) => {
        leading = l;
        metrics.leader.set(l ? 1 : 0);
      },
    });
    const ended = await election.run(stopping.signal, schedule);
    if (!ended) throw new LeadershipLostError("lost the lease kube-system/kube-scheduler");
  })();
  service.onStop(async () => {
    stopping.abort();
    await done.catch(() => undefined);
  });
  await service.start();
  return { scheduler, service, done, isLeader: () => leading || !config.leaderElect, stop: () => service.stop() };
}

/** The service's `run`: schedules until SIGTERM; exits non-zero when leadership is lost. */
export async function run(config: SchedulerConfig, ctx: RunContext): Promise<void> {
  const s = await startScheduler(config, { logger: ctx.logger });
  await serveUntilStopped(s, ctx.signal, ctx.logger);
}
