// The scheduler: its profiles, the scheduling loop (one pod at a time), asynchronous binding cycles and the
// events and conditions it writes (kube-scheduler's scheduler.go and schedule_one.go); informer events are in event-handlers.ts.
import { coreV1Pod, isConflict, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import { EventBroadcaster, type ApiClient, type EventType, type Informer } from "@kubeplane/client";
import { BatchBinder } from "./batch-binder.js";
import { addAllEventHandlers, addStorageEventHandlers, nodeAdded, nodeUpdated, podAdded, podDeleted, podUpdated } from "./event-handlers.js";
import { SchedulerCache } from "./framework/cache.js";
import { fitErrorMessage, type Diagnosis } from "./framework/diagnosis.js";
import type { Framework } from "./framework/framework.js";
import {
  Code,
  CycleState,
  NO_STORAGE,
  isSuccess,
  type ClusterEvent,
  type Node,
  type NodeInfo,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type Pod,
  type PluginHandle,
  type PodInfo,
  type Snapshot,
  type Status,
  type StorageClass,
  type StorageListers,
  type BindingHandle,
} from "./framework/interface.js";
import { OpportunisticBatching } from "./framework/batch.js";
import { podKey } from "./framework/pod-info.js";
import { podSignature } from "./framework/pod-signature.js";
import { buildFramework, DEFAULT_SCHEDULER_NAME, type SchedulerConfiguration } from "./framework/profile.js";
import { SchedulingQueue, type QueueOptions, type QueuedPodInfo } from "./framework/queue.js";
import type { Registry } from "./framework/registry.js";
import { NodeSnapshot } from "./framework/snapshot.js";
import type { SchedulerMetrics } from "./metrics.js";
import { inTreeRegistry } from "./plugins/registry.js";
import { SchedulingAlgorithm, type ScheduleResult } from "./schedule-one.js";

const pods = kindFor("v1", "Pod") as KindInfo<Pod>;

/** pino's shape. */
export interface SchedulerLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SchedulerOptions {
  client: ApiClient;
  configuration: SchedulerConfiguration;
  /** The plugins profiles may name; default inTreeRegistry(). */
  registry?: Registry;
  /** 0: kube-scheduler's adaptive percentage. Overrides the configuration's when > 0. */
  percentageOfNodesToScore?: number;
  logger: SchedulerLogger;
  metrics?: SchedulerMetrics;
  /** reportingInstance of events. */
  identity?: string;
  queue?: QueueOptions;
  random?: () => number;
  /** Bindings in flight before the loop waits for one to finish. Default 1024 (the apiserver batches concurrent binds well). */
  maxInFlightBindings?: number;
  /** Reuse a cycle's Filter and Score results for the next pods of the same signature (KEP-5598); default true. */
  opportunisticBatching?: boolean;
  /** Bindings per BindPods call; default 128. */
  maxBindingsPerCall?: number;
  /** Share of cycles (0–100) whose plugins are timed for scheduler_plugin_execution_duration_seconds. Default 10, as kube-scheduler. */
  pluginMetricsSamplePercent?: number;
}

function timestamp(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The plugins that rejected the pod on every node, or undefined when some rejection names none. */
function unschedulablePlugins(d: Diagnosis): Set<string> | undefined {
  const out = new Set<string>();
  for (const s of [...(d.preFilterStatus ? [d.preFilterStatus] : []), ...d.nodeStatuses.values()]) {
    if (!s.plugin) return undefined;
    out.add(s.plugin);
  }
  return out.size ? out : undefined;
}

/**
 * Schedules pending pods of its profiles. Feed it with `attach(nodeInformer, podInformer)` (or
 * the `on…` handlers), then `run(signal)`: it pops one pod at a time, runs the profile's
 * framework against a fresh snapshot, assumes the pod on the chosen node and binds it in the
 * background; a failed pod gets PodScheduled=False and a FailedScheduling event and waits in
 * the queue for an event that could help. Pods of other schedulerNames are ignored.
 */
export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly snapshot = new NodeSnapshot();
  readonly profiles = new Map<string, Framework>();
  private readonly algorithm: SchedulingAlgorithm;
  /** Filter and Score results reused by pods of one signature (KEP-5598). */
  readonly batching: OpportunisticBatching;
  /** DefaultBinder's way to the apiserver: bindings batched into BindPods calls. */
  readonly binder: BatchBinder;
  private readonly bindings = new Set<Promise<void>>();
  private readonly sideEffects = new Set<Promise<void>>();
  private readonly logger: SchedulerLogger;
  private readonly identity: string;
  /** Scheduled, FailedScheduling and Preempted events, written in the background (bounded, see EventBroadcaster). */
  private readonly events: EventBroadcaster;
  private signal: AbortSignal = new AbortController().signal;
  /** Evictions asked for by the PostFilter run in progress (scheduler_preemption_victims). */
  private evictions = 0;
  /** The storage informers' caches, once `attachStorage` ran. */
  private storage: StorageListers = NO_STORAGE;
  /** Pods bound by this scheduler (tests and the benchmark read it). */
  scheduledCount = 0;

  constructor(private readonly opts: SchedulerOptions) {
    this.logger = opts.logger;
    this.identity = opts.identity ?? "kube-scheduler";
    this.events = new EventBroadcaster({
      client: opts.client,
      component: DEFAULT_SCHEDULER_NAME,
      instance: this.identity,
      onError: (err, e) => this.logger.warn({ err, pod: `${e.involvedObject?.namespace}/${e.involvedObject?.name}`, reason: e.reason }, "could not record event"),
      onDrop: () => opts.metrics?.eventsDropped.inc(),
    });
    this.queue = new SchedulingQueue(opts.queue);
    this.batching = new OpportunisticBatching(opts.random);
    this.binder = new BatchBinder({ client: opts.client, ...(opts.maxBindingsPerCall ? { maxBatch: opts.maxBindingsPerCall } : {}) });
    this.algorithm = new SchedulingAlgorithm({
      percentageOfNodesToScore: opts.percentageOfNodesToScore || opts.configuration.percentageOfNodesToScore || 0,
      ...(opts.random ? { random: opts.random } : {}),
    });
    const registry = opts.registry ?? inTreeRegistry();
    const pluginEvents = new Map<string, Set<ClusterEvent>>();
    for (const profile of opts.configuration.profiles) {
      let fwk: Framework | undefined;
      const handle: PluginHandle & BindingHandle = {
        snapshot: (): Snapshot => this.snapshot,
        storage: (): StorageListers => this.storage,
        evict: async (pod, reason) => this.evict(pod, reason),
        nominate: async (pod, nodeName) => this.nominate(pod, nodeName),
        runFilters: (state, pod, node) => fwk!.runFilterPluginsWithNominatedPods(state, pod, node),
        runPreFilterAddPod: (state, pod, toAdd, node) => fwk!.runPreFilterExtensionAddPod(state, pod, toAdd, node),
        runPreFilterRemovePod: (state, pod, toRemove, node) => fwk!.runPreFilterExtensionRemovePod(state, pod, toRemove, node),
        bindPod: (pod, nodeName, signal) =>
          this.binder.bind({ namespace: pod.metadata?.namespace ?? "", pod: pod.metadata?.name ?? "", node: nodeName, uid: pod.metadata?.uid ?? "" }, signal),
      };
      const m = opts.metrics;
      fwk = buildFramework(profile, registry, handle, opts.logger, {
        nominator: this.queue.nominator,
        ...(m
          ? {
              observe: (point, status, secs) => m.extensionPointDuration.observe({ extension_point: point, status: Code[status.code], profile: profile.schedulerName }, secs),
              observePlugin: (plugin, point, status, secs) => m.pluginExecutionDuration.observe({ plugin, extension_point: point, status: Code[status.code] }, secs),
            }
          : {}),
      });
      this.profiles.set(profile.schedulerName, fwk);
      for (const p of [...fwk.plugins.preFilter, ...fwk.plugins.filter]) {
        const events = p.eventsToRegister?.();
        if (events) pluginEvents.set(p.name, new Set([...(pluginEvents.get(p.name) ?? []), ...events]));
      }
      this.logger.info({
        profile: profile.schedulerName,
        filter: fwk.plugins.filter.map((p) => p.name),
        score: fwk.plugins.score.map((s) => `${s.plugin.name}:${s.weight}`),
        postFilter: fwk.plugins.postFilter.map((p) => p.name),
        bind: fwk.plugins.bind.map((p) => p.name),
      }, "profile configured");
    }
    this.queue.setPluginEvents(pluginEvents);
  }

  /** Whether this scheduler handles `pod` (its schedulerName names one of our profiles). */
  responsibleFor(pod: Pod): boolean {
    return this.profiles.has(pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME);
  }

  /** Registers the informer handlers (they only update the cache and queue). */
  attach(nodes: Informer<Node>, podInformer: Informer<Pod>): void {
    addAllEventHandlers(this, nodes, podInformer);
  }

  /**
   * Gives volume plugins the storage informers' caches and retries unschedulable pods when a
   * claim, volume or class appears or changes (a claim got bound, a volume was provisioned).
   */
  attachStorage(claims: Informer<PersistentVolumeClaim>, volumes: Informer<PersistentVolume>, classes: Informer<StorageClass>): void {
    this.storage = addStorageEventHandlers(this.queue, claims, volumes, classes);
  }

  onNodeAdd(node: Node): void {
    nodeAdded(this, node);
  }

  onNodeUpdate(old: Node, node: Node): void {
    nodeUpdated(this, old, node);
  }

  onPodAdd(pod: Pod): void {
    podAdded(this, pod);
  }

  onPodUpdate(old: Pod, pod: Pod): void {
    podUpdated(this, old, pod);
  }

  onPodDelete(pod: Pod): void {
    podDeleted(this, pod);
  }

  /**
   * The scheduling loop: runs until the signal aborts, then waits for bindings in flight.
   * The queue's periodic flushes and the cache's expiry run alongside.
   */
  async run(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    this.queue.run(signal);
    const housekeeping = setInterval(() => {
      this.cache.cleanupExpired();
      this.reportPending();
    }, 1_000);
    try {
      while (!signal.aborted) {
        // Backpressure: an apiserver slower than the scheduling loop gets at most this many binds at once.
        while (this.bindings.size >= (this.opts.maxInFlightBindings ?? 1024)) await Promise.race(this.bindings);
        const more = await this.scheduleOne();
        if (!more) break;
        // Let binding replies and informer events in between cycles.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      clearInterval(housekeeping);
      this.queue.close();
      await Promise.allSettled([...this.bindings, ...this.sideEffects]);
      await this.events.flush();
    }
  }

  /** Schedules the next pod; false once the queue is closed. */
  async scheduleOne(): Promise<boolean> {
    const qp = await this.queue.pop();
    if (!qp) return false;
    const podInfo = qp.podInfo;
    const pod = podInfo.pod;
    const fwk = this.profiles.get(pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME);
    if (!fwk || pod.metadata?.deletionTimestamp || pod.spec?.nodeName || this.cache.isAssumed(podInfo.key)) {
      this.queue.done(podInfo.key);
      return true;
    }
    const start = process.hrtime.bigint();
    this.batching.observeChanges(this.cache.updateSnapshot(this.snapshot));
    const newState = (): CycleState => {
      const s = new CycleState();
      s.recordPluginMetrics = Math.random() * 100 < (this.opts.pluginMetricsSamplePercent ?? 10);
      return s;
    };
    let state = newState();
    // Opportunistic batching: only while no pod is nominated (nominated pods change what fits where).
    if (!this.queue.nominator.empty) this.batching.clear();
    const signature = this.opts.opportunisticBatching !== false && this.queue.nominator.empty ? podSignature(pod) : undefined;
    const picked = signature !== undefined ? this.batching.pick(fwk, state, podInfo, signature, this.snapshot) : undefined;
    if (picked) this.opts.metrics?.batchAttempts.inc({ result: "nodeName" in picked ? "hit" : "miss" });
    let result: ScheduleResult;
    if (picked && "nodeName" in picked) result = { ok: true, nodeName: picked.nodeName, evaluatedNodes: 0, feasibleNodes: 0 };
    else {
      // A batch that missed may have run PreFilter on the state: the full cycle starts afresh.
      if (picked) state = newState();
      result = this.algorithm.schedule(fwk, state, podInfo, this.snapshot);
      const scored = this.algorithm.lastScored;
      if (signature !== undefined && result.ok && scored) this.batching.record(fwk, signature, scored.nodes, scored.result);
    }
    if (!result.ok) {
      let status: Status = result.status;
      let nominated: string | undefined;
      if (status.code !== Code.Error && fwk.plugins.postFilter.length) {
        this.opts.metrics?.preemptionAttempts.inc();
        this.evictions = 0;
        const pf = await fwk.runPostFilterPlugins(state, podInfo, this.snapshot, result.diagnosis.nodeStatuses, this.signal);
        if (this.evictions > 0) this.opts.metrics?.preemptionVictims.observe(this.evictions);
        if (pf.status.code === Code.Error) status = pf.status;
        else if (pf.nominatedNodeName) {
          nominated = pf.nominatedNodeName;
          // Held in memory at once: the next cycles must leave the freed room to this pod.
          this.queue.nominator.add(podInfo, nominated);
        }
        if (pf.status.reasons.length) result.diagnosis.postFilterMessage = pf.status.reasons.join(", ");
      }
      const message = status.code === Code.Error ? status.reasons.join(", ") : fitErrorMessage(result.diagnosis);
      this.failed(fwk, qp, status, message, nominated, start, result.diagnosis);
      return true;
    }
    const nodeName = result.nodeName;
    const assumed = this.cache.assumePod(podInfo, nodeName);
    this.queue.nominator.delete(pod);
    const reserved = fwk.runReservePlugins(state, assumed, nodeName);
    if (!isSuccess(reserved)) {
      fwk.runUnreservePlugins(state, assumed, nodeName);
      this.cache.forgetPod(podInfo.key);
      this.failed(fwk, qp, reserved, reserved.reasons.join(", "), undefined, start);
      return true;
    }
    this.observeAttempt(fwk, "scheduled", start);
    const binding = this.bindingCycle(fwk, state, qp, assumed, nodeName).finally(() => this.bindings.delete(binding));
    this.bindings.add(binding);
    return true;
  }

  /** Binds in the background; on failure un-reserves, forgets the assumed pod and requeues it. */
  private async bindingCycle(fwk: Framework, state: CycleState, qp: QueuedPodInfo, assumed: PodInfo, nodeName: string): Promise<void> {
    const key = assumed.key;
    try {
      const status = await fwk.runBindPlugins(state, assumed, nodeName, this.signal);
      if (isSuccess(status)) {
        this.cache.finishBinding(key);
        this.scheduledCount++;
        this.opts.metrics?.podSchedulingDuration.observe({ attempts: String(Math.min(qp.attempts, 15)) }, (Date.now() - qp.initialAttemptTimestamp) / 1000);
        this.logger.debug({ pod: key, node: nodeName }, "bound");
        this.event(qp.podInfo.pod, "Normal", "Scheduled", "Binding", `Successfully assigned ${key} to ${nodeName}`);
        return;
      }
      fwk.runUnreservePlugins(state, assumed, nodeName);
      this.cache.forgetPod(key);
      if (this.signal.aborted) return;
      this.logger.warn({ pod: key, node: nodeName, reasons: status.reasons }, "binding failed: requeued");
      this.opts.metrics?.scheduleAttempts.inc({ result: "error", profile: fwk.profileName });
      this.queue.addUnschedulable(qp, { error: true });
      // The forgotten pod freed room: pods waiting on it may fit now.
      this.queue.moveAllToActiveOrBackoff("BindFailure");
    } finally {
      this.queue.done(key);
    }
  }

  private failed(fwk: Framework, qp: QueuedPodInfo, status: Status, message: string, nominated: string | undefined, start: bigint, diagnosis?: Diagnosis): void {
    const error = status.code === Code.Error;
    this.observeAttempt(fwk, error ? "error" : "unschedulable", start);
    const plugins = diagnosis && unschedulablePlugins(diagnosis);
    this.queue.addUnschedulable(qp, plugins ? { error, plugins } : { error });
    this.queue.done(qp.podInfo.key);
    if (error) this.logger.warn({ pod: qp.podInfo.key, reasons: status.reasons, plugin: status.plugin }, "scheduling error");
    else this.logger.debug({ pod: qp.podInfo.key, message }, "unschedulable");
    this.track(this.recordFailure(qp.podInfo.pod, error ? "SchedulerError" : "Unschedulable", message, nominated));
  }

  private observeAttempt(fwk: Framework, result: string, start: bigint): void {
    const m = this.opts.metrics;
    if (!m) return;
    m.scheduleAttempts.inc({ result, profile: fwk.profileName });
    m.attemptDuration.observe({ result, profile: fwk.profileName }, Number(process.hrtime.bigint() - start) / 1e9);
  }

  /** PodScheduled=False with the diagnosis (written only when it changed) and a FailedScheduling event. */
  private async recordFailure(pod: Pod, reason: string, message: string, nominated: string | undefined): Promise<void> {
    this.event(pod, "Warning", "FailedScheduling", "Scheduling", message);
    let current = pod;
    for (let attempt = 0; attempt < 2; attempt++) {
      const cond = current.status?.conditions.find((c) => c.type === "PodScheduled");
      const sameCondition = cond?.status === "False" && cond.reason === reason && cond.message === message;
      if (sameCondition && (!nominated || current.status?.nominatedNodeName === nominated)) return;
      const next = coreV1Pod.Pod.fromPartial(current);
      const status = next.status ?? coreV1Pod.PodStatus.fromPartial({ phase: "Pending" });
      const condition = coreV1Pod.PodCondition.fromPartial({
        type: "PodScheduled",
        status: "False",
        reason,
        message,
        lastTransitionTime: cond?.status === "False" ? cond.lastTransitionTime : timestamp(),
      });
      status.conditions = [...status.conditions.filter((c) => c.type !== "PodScheduled"), condition];
      if (nominated) status.nominatedNodeName = nominated;
      next.status = status;
      try {
        await this.opts.client.updateStatus(pods, next);
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) || attempt > 0) {
          this.logger.warn({ err, pod: podKey(pod) }, "could not update PodScheduled condition");
          return;
        }
        try {
          current = (await this.opts.client.get(pods, pod.metadata?.namespace ?? "", pod.metadata?.name ?? "")) as Pod;
        } catch {
          return;
        }
        if (current.spec?.nodeName) return;
      }
    }
  }

  /** Records a core/v1 Event about `pod`, in the background. */
  private event(pod: Pod, type: EventType, reason: string, action: string, message: string): void {
    this.events.record(pods, pod, type, reason, message, action);
  }

  private async evict(pod: Pod, reason: string): Promise<void> {
    this.logger.info({ pod: podKey(pod), reason }, "preempting");
    this.evictions++;
    this.event(pod, "Normal", "Preempted", "Preempting", reason);
    try {
      await this.opts.client.delete(pods, pod.metadata?.namespace ?? "", pod.metadata?.name ?? "", { preconditions: { uid: pod.metadata?.uid ?? "", resourceVersion: "" } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async nominate(pod: Pod, nodeName: string): Promise<void> {
    await this.opts.client.patch(pods, pod.metadata?.namespace ?? "", pod.metadata?.name ?? "", { status: { nominatedNodeName: nodeName } }, { status: true });
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch(() => undefined).finally(() => this.sideEffects.delete(tracked));
    this.sideEffects.add(tracked);
  }

  private reportPending(): void {
    const m = this.opts.metrics;
    if (!m) return;
    const p = this.queue.pending();
    m.pendingPods.set({ queue: "active" }, p.active);
    m.pendingPods.set({ queue: "backoff" }, p.backoff);
    m.pendingPods.set({ queue: "unschedulable" }, p.unschedulable);
    m.pendingPods.set({ queue: "gated" }, 0);
  }

  /** Nodes as the last cycle saw them (explain and tests). */
  nodes(): readonly NodeInfo[] {
    return this.snapshot.list();
  }
}
