// The kubelet's pod workers: its own pods from an informer on the pods-by-node subject, one sync
// at a time per pod (a de-duplicating queue keyed by uid), a relist of the runtime that wakes a
// pod when its containers change (PLEG), graceful deletion, orphan clean-up, and status writes.
import { coreV1Pod, isConflict, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import { Informer, WorkQueue, type ApiClient, type WatchConnection } from "@kubeplane/client";
import type { Logger } from "@kubeplane/service-kit";
import { rm } from "node:fs/promises";
import { LABELS, podDir } from "../paths.js";
import type { RuntimeService } from "../runtime/types.js";
import { removePodVolumes } from "../container/volumes.js";
import { pause } from "../node/wakeup.js";
import type { ProbeManager } from "../probe/prober.js";
import { removePodCgroups } from "./cgroups.js";
import { killPod } from "./kill.js";
import type { PodEventRecorder } from "../events.js";
import type { PodSyncer } from "./pod-syncer.js";
import { statusChanged } from "./status.js";
import type { KubeletMetrics } from "./metrics.js";
import type { StartPhase } from "./startup-trace.js";

type Pod = coreV1Pod.Pod;
export const pods = kindFor("v1", "Pod") as KindInfo<Pod>;

export interface PodManagerOptions {
  client: ApiClient;
  watch: WatchConnection;
  runtime: RuntimeService;
  syncer: PodSyncer;
  probes: ProbeManager;
  logger: Logger;
  metrics: KubeletMetrics;
  /** Where Killing events of graceful termination go. */
  events: PodEventRecorder;
  nodeName: string;
  rootDir: string;
  cgroupRoot: string;
  /** How often every pod is synced even without a change (default 10 s). */
  resyncMs?: number;
  /** How often the runtime is relisted for container changes (default 1 s). */
  relistMs?: number;
  workers?: number;
}

/**
 * Whether an update changes anything a sync acts on: not status, resourceVersion or managedFields
 * alone (a status write of the kubelet's own moves all three).
 */
export function needsSync(old: Pod, next: Pod): boolean {
  const strip = (p: Pod): string => JSON.stringify(coreV1Pod.Pod.toJSON({ ...p, status: undefined, metadata: { ...p.metadata!, resourceVersion: "", managedFields: [] } }));
  return strip(old) !== strip(next);
}

/** Runs the node's pods. `start` resolves once the informer has synced; `stop` ends the workers. */
export class PodManager {
  readonly informer: Informer<Pod>;
  private readonly queue = new WorkQueue<string>();
  private readonly byUid = new Map<string, Pod>();
  /** Last spec seen of pods that left the API, so an orphan is still killed with its hooks and grace. */
  private readonly gone = new Map<string, Pod>();
  private readonly firstSeen = new Map<string, number>();
  /** Pods whose first sync has begun (kubelet_pod_worker_start_duration_seconds is observed once). */
  private readonly workerStarted = new Set<string>();
  private readonly running = new Set<string>();
  private lastRelist = new Map<string, string>();
  private lastResync = Date.now();
  /**
   * Sandbox and container states (id → state) a sync pass read after acting: a relist that finds
   * them so does not wake the pod again for its own changes (a worker stays free for other pods).
   */
  private readonly observedBySync = new Map<string, string>();
  /** Pods in a sync pass, and the changes a relist found for them meanwhile (judged when the pass ends). */
  private readonly syncing = new Map<string, Map<string, string>>();
  /**
   * Status writes, off the pod workers (as the kubelet's status manager): the newest unsent status
   * per pod, in the order pods asked; a status computed while the pod's write is in flight replaces
   * any unsent one (coalesced), and pods never wait on each other's writes beyond `statusWriters`.
   */
  private readonly statusPending = new Map<string, PendingStatus>();
  private readonly statusInFlight = new Map<string, PendingStatus>();
  /**
   * The apiserver's reply to the last status write per pod, until the watch brings it (see `seen`), and the
   * resourceVersions of the writes of ours before it that the watch may still bring.
   */
  private readonly statusWritten = new Map<string, { pod: Pod; earlier: Set<string> }>();
  private readonly statusSettled = new Map<string, Array<() => void>>();
  private readonly stopping = new AbortController();
  private loops: Promise<unknown>[] = [];

  constructor(private readonly o: PodManagerOptions) {
    this.informer = new Informer<Pod>({
      client: o.client,
      watch: o.watch,
      kind: pods,
      nodeName: o.nodeName,
      logger: o.logger,
    });
    this.informer.addEventHandler({
      onAdd: (p) => this.observe(p),
      // Not on the kubelet's own status writes: only what it must act on (spec, metadata, deletion).
      onUpdate: (old, p) => (needsSync(old, p) ? this.observe(p) : this.seen(p)),
      onDelete: (p) => {
        const uid = p.metadata!.uid;
        this.byUid.delete(uid);
        this.gone.set(uid, p);
        this.queue.add(uid);
      },
    });
  }

  /** The pod with uid, as last seen from the API. */
  get(uid: string): Pod | undefined {
    return this.byUid.get(uid);
  }

  /** Asks for a sync of pod uid (a probe's verdict changed, …). */
  wake(uid: string): void {
    this.queue.add(uid);
  }

  /** The pod named namespace/name bound to this node, if any. */
  getByName(namespace: string, name: string): Pod | undefined {
    return this.informer.lister.get(namespace, name);
  }

  /** Pods bound to this node, as last seen from the API. */
  list(): Pod[] {
    return [...this.byUid.values()];
  }

  async start(): Promise<void> {
    const signal = this.stopping.signal;
    this.loops.push(this.informer.run(signal));
    await this.informer.waitForSync(signal);
    for (let i = 0; i < (this.o.workers ?? 4); i++) this.loops.push(this.worker());
    this.loops.push(this.every(this.o.relistMs ?? 1000, () => this.relist()));
    this.loops.push(this.every(Math.min(1000, this.o.resyncMs ?? 10_000), async () => this.resync()));
    await this.relist();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.queue.shutDown();
    await Promise.allSettled(this.loops);
  }

  private observe(p: Pod): void {
    const uid = p.metadata!.uid;
    this.seen(p);
    if (!this.firstSeen.has(uid)) this.firstSeen.set(uid, Date.now());
    this.queue.add(uid);
  }

  /**
   * Every pod once per resync period; deferred (by at most one more period) while some pod still
   * waits for its first pass or is in it, so that a burst of new pods does not share the workers
   * and the runtime with resyncs of pods already running.
   */
  private resync(): void {
    const period = this.o.resyncMs ?? 10_000;
    const since = Date.now() - this.lastResync;
    if (since < period) return;
    if (since < 2 * period) {
      for (const uid of this.byUid.keys()) if (!this.workerStarted.has(uid) || (this.syncing.has(uid) && !this.running.has(uid))) return;
    }
    this.lastResync = Date.now();
    for (const uid of this.byUid.keys()) this.queue.add(uid);
  }

  private async every(ms: number, fn: () => Promise<void>): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      await pause(ms, signal);
      if (signal.aborted) return;
      await fn().catch((err: Error) => this.o.logger.warn({ err: err.message }, "periodic pod task failed"));
    }
  }

  /** PLEG: wakes every pod whose containers or sandboxes changed state, and every orphan. */
  private async relist(): Promise<void> {
    const [containers, sandboxes] = await Promise.all([this.o.runtime.listContainers(), this.o.runtime.listPodSandbox()]);
    const now = new Map<string, string>();
    for (const c of containers) now.set(c.id, `${c.labels[LABELS.podUid] ?? ""} ${c.state}`);
    for (const s of sandboxes) now.set(s.id, `${s.labels[LABELS.podUid] ?? ""} ${s.state}`);
    const wake = new Set<string>();
    for (const [id, v] of now) {
      if (this.lastRelist.get(id) === v) continue;
      const [uid, state] = v.split(" ") as [string, string];
      // Seen while the pod's own pass runs: most likely that pass's doing; it decides once it ends.
      const during = this.syncing.get(uid);
      if (during) during.set(id, state);
      else if (this.observedBySync.get(id) !== state) wake.add(uid);
    }
    for (const id of this.observedBySync.keys()) if (!now.has(id)) this.observedBySync.delete(id);
    for (const [id, v] of this.lastRelist) if (!now.has(id)) wake.add(v.split(" ")[0]!);
    this.lastRelist = now;
    this.o.metrics.runningContainers.set(containers.filter((c) => c.state === "running").length);
    this.o.metrics.runningPods.set(sandboxes.filter((s) => s.state === "ready").length);
    for (const uid of wake) if (uid) this.queue.add(uid);
    // Orphans: in the runtime, but no longer (or never) bound here.
    for (const s of sandboxes) {
      const uid = s.labels[LABELS.podUid];
      if (uid && !this.byUid.has(uid)) this.queue.add(uid);
    }
  }

  private async worker(): Promise<void> {
    for (;;) {
      const item = await this.queue.get();
      if (item.shutdown) return;
      const uid = item.key;
      try {
        const after = await this.syncOne(uid);
        this.queue.forget(uid);
        if (after !== undefined && !this.stopping.signal.aborted) this.queue.addAfter(uid, Math.max(after, 50));
      } catch (err) {
        if (!this.stopping.signal.aborted) {
          this.o.logger.warn({ uid, err: (err as Error).message }, "pod sync failed; retrying");
          this.queue.addRateLimited(uid);
        }
      } finally {
        this.queue.done(uid);
      }
    }
  }

  /** One pass for pod uid; returns when to look again, if the pass asked for it. */
  private async syncOne(uid: string): Promise<number | undefined> {
    const pod = this.byUid.get(uid);
    const started = Date.now();
    if (!pod) {
      const last = this.gone.get(uid);
      await killPod(this.o.runtime, uid, last, last ? this.o.syncer.gracePeriod(last) : 2, { logger: this.o.logger, remove: true, events: this.o.events });
      await this.cleanUp(uid);
      this.gone.delete(uid);
      return undefined;
    }
    const firstPass = !this.workerStarted.has(uid);
    this.workerStarted.add(uid);
    if (pod.metadata!.deletionTimestamp) {
      await this.terminate(pod);
      return undefined;
    }
    // A pod not yet Running: its start's phases are timed (kubelet_pod_start_phase_duration_seconds).
    const starting = !this.running.has(uid);
    if (starting && firstPass) {
      const seen = this.firstSeen.get(uid);
      if (seen !== undefined) {
        const s = Math.max(0, Date.now() - seen) / 1000;
        this.o.metrics.podWorkerStartDuration.observe(s);
        this.o.metrics.podStartPhase.observe({ phase: "worker_start" }, s);
      }
    }
    const trace = starting ? (phase: StartPhase, ms: number): void => this.o.metrics.podStartPhase.observe({ phase }, ms / 1000) : undefined;
    const during = new Map<string, string>();
    this.syncing.set(uid, during);
    let result;
    try {
      result = await this.o.syncer.sync(pod, trace);
    } finally {
      this.syncing.delete(uid);
    }
    result.observed?.forEach((state, id) => this.observedBySync.set(id, state));
    // What the relist saw during the pass: a sandbox or container the pass read afterwards is
    // judged again by the next relist against what the pass read (a container seen "created"
    // between the pass's create and start is no news); one the pass never read wakes the pod.
    for (const [id, state] of during) {
      if (this.observedBySync.has(id)) {
        if (this.observedBySync.get(id) !== state) this.lastRelist.delete(id);
      } else this.queue.add(uid);
    }
    this.setStatus(pod, result.status);
    this.o.metrics.syncDuration.observe((Date.now() - started) / 1000);
    return result.requeueAfterMs;
  }

  /** Graceful deletion: kill (preStop, SIGTERM, SIGKILL after grace), clean up, then let the API object go. */
  private async terminate(pod: Pod): Promise<void> {
    const uid = pod.metadata!.uid;
    const grace = this.o.syncer.gracePeriod(pod);
    this.o.logger.info({ pod: pod.metadata!.name, namespace: pod.metadata!.namespace, grace }, "killing pod");
    await killPod(this.o.runtime, uid, pod, grace, { logger: this.o.logger, remove: false, events: this.o.events });
    this.setStatus(pod, await this.o.syncer.observe(pod));
    await this.statusWritesSettled(uid);
    await killPod(this.o.runtime, uid, pod, 0, { logger: this.o.logger, remove: true });
    await this.cleanUp(uid);
    try {
      await this.o.client.delete(pods, pod.metadata!.namespace, pod.metadata!.name, { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  private async cleanUp(uid: string): Promise<void> {
    this.o.probes.removePod(uid);
    this.o.syncer.forget(uid);
    this.firstSeen.delete(uid);
    this.workerStarted.delete(uid);
    this.running.delete(uid);
    this.statusPending.delete(uid);
    this.statusWritten.delete(uid);
    this.settle(uid);
    await removePodVolumes(this.o.rootDir, uid);
    await rm(podDir(this.o.rootDir, uid), { recursive: true, force: true });
    const busy = await removePodCgroups(this.o.cgroupRoot, uid);
    if (busy.length) this.o.logger.warn({ uid, busy }, "pod cgroups still in use");
  }

  /** Records the status a pass computed and has it written in the background unless it is what the API has (or will have). */
  private setStatus(pod: Pod, status: coreV1Pod.PodStatus): void {
    const uid = pod.metadata!.uid;
    const computed = performance.now();
    let becameRunning = false;
    if (status.phase === "Running" && !this.running.has(uid)) {
      becameRunning = true;
      this.running.add(uid);
      const seen = this.firstSeen.get(uid);
      if (seen !== undefined) {
        const ms = Date.now() - seen;
        this.o.metrics.podStartDuration.observe(ms / 1000);
        this.o.metrics.podStartSliDuration.observe(Math.max(0, ms - this.o.syncer.imagePullingTime(uid)) / 1000);
      }
    }
    const pending = this.statusPending.get(uid);
    // What the API will hold once the writes under way land: compare with that, not with a pod the watch has not refreshed yet.
    const expected = pending?.status ?? this.statusInFlight.get(uid)?.status ?? this.latestPod(uid)?.status ?? pod.status;
    if (!statusChanged(expected, status)) return;
    // Coalesced: the newest status replaces an unsent one, keeping when the first change was seen.
    this.statusPending.set(uid, { status, since: pending?.since ?? computed, becameRunning: becameRunning || (pending?.becameRunning ?? false) });
    this.pumpStatusWrites();
  }

  /**
   * The informer's copy of a pod. Our last status write's reply stays the pod's latest until the watch
   * brings that write, or brings a version we did not write (another writer's, or a relist's): then the
   * informer's copy is at least as new. An earlier write of ours arriving late changes nothing.
   * resourceVersions are only compared for equality: they are opaque to clients.
   */
  private seen(p: Pod): void {
    const uid = p.metadata!.uid;
    this.byUid.set(uid, p);
    const written = this.statusWritten.get(uid);
    if (!written) return;
    const rv = p.metadata!.resourceVersion;
    if (rv === written.pod.metadata!.resourceVersion || !written.earlier.has(rv)) this.statusWritten.delete(uid);
  }

  /** The pod as last known: our last status write's reply until the watch has caught up with it (see `seen`), else the informer's. */
  private latestPod(uid: string): Pod | undefined {
    return this.statusWritten.get(uid)?.pod ?? this.byUid.get(uid);
  }

  private pumpStatusWrites(): void {
    for (const uid of this.statusPending.keys()) {
      if (this.statusInFlight.size >= STATUS_WRITERS) return;
      if (this.statusInFlight.has(uid)) continue;
      const next = this.statusPending.get(uid)!;
      this.statusPending.delete(uid);
      this.statusInFlight.set(uid, next);
      void this.writeStatus(uid, next).finally(() => {
        this.statusInFlight.delete(uid);
        if (!this.statusPending.has(uid)) this.settle(uid);
        this.pumpStatusWrites();
      });
    }
  }

  /** Resolves once pod uid has no status write pending or under way. */
  private statusWritesSettled(uid: string): Promise<void> {
    if (!this.statusPending.has(uid) && !this.statusInFlight.has(uid)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.statusSettled.get(uid) ?? [];
      waiters.push(resolve);
      this.statusSettled.set(uid, waiters);
    });
  }

  private settle(uid: string): void {
    const waiters = this.statusSettled.get(uid);
    this.statusSettled.delete(uid);
    waiters?.forEach((w) => w());
  }

  private async writeStatus(uid: string, next: PendingStatus): Promise<void> {
    const pod = this.latestPod(uid);
    if (!pod) return;
    try {
      const written = await this.o.client.updateStatus(pods, coreV1Pod.Pod.fromPartial({ ...pod, status: next.status }));
      const before = this.statusWritten.get(uid);
      const earlier = before ? new Set([...before.earlier, before.pod.metadata!.resourceVersion].slice(-8)) : new Set<string>();
      this.statusWritten.set(uid, { pod: written, earlier });
      const s = (performance.now() - next.since) / 1000;
      this.o.metrics.podStatusSyncDuration.observe(s);
      if (next.becameRunning) this.o.metrics.podStartPhase.observe({ phase: "status_write" }, s);
    } catch (err) {
      if (isNotFound(err) || this.stopping.signal.aborted) return;
      // A newer pod is on its way through the informer: look again once it has arrived.
      if (isConflict(err)) {
        this.statusWritten.delete(uid);
        this.queue.addAfter(uid, 200);
        return;
      }
      this.o.logger.warn({ uid, err: (err as Error).message }, "pod status write failed; syncing again");
      this.queue.addRateLimited(uid);
    }
  }
}

/** How many pods' status writes may be under way at once. */
const STATUS_WRITERS = 8;

interface PendingStatus {
  status: coreV1Pod.PodStatus;
  /** performance.now() when the first unsent change was computed (kubelet_pod_status_sync_duration_seconds). */
  since: number;
  /** This change is the pod's first Running (its start's status_write phase). */
  becameRunning: boolean;
}
