// The scheduling queue (kube-scheduler's PriorityQueue): activeQ by priority then age, backoffQ,
// and the unschedulable set moved back on cluster events that could help.
import type { ClusterEvent, Pod, PodInfo } from "./interface.js";
import { PodNominator } from "./nominator.js";
import { newPodInfo } from "./pod-info.js";

export type { ClusterEvent };

/** A pod in the queue with its scheduling history. */
export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** Scheduling attempts so far (incremented by `pop`). */
  attempts: number;
  /** When it was last added to a queue (ms). */
  timestamp: number;
  /** When it was first added (ms): e2e latency is measured from here. */
  initialAttemptTimestamp: number;
  /** The plugins that rejected it last time; empty: unknown (any event may help). */
  unschedulablePlugins?: ReadonlySet<string>;
}

/** Events that retry every unschedulable pod, whatever rejected it. */
const WILDCARD_EVENTS: ReadonlySet<ClusterEvent> = new Set(["UnschedulableTimeout", "BindFailure"]);

export interface QueueOptions {
  /** Backoff of the first retry; doubles per attempt. Default 1 s. */
  initialBackoffMs?: number;
  /** Longest backoff. Default 10 s. */
  maxBackoffMs?: number;
  /** Pods unschedulable for longer than this are retried by the periodic flush. Default 60 s. */
  maxInUnschedulableMs?: number;
  now?: () => number;
}

/** A binary heap of queued pods: higher spec.priority first, then older, then first queued. */
class ActiveHeap {
  private readonly items: Array<{ qp: QueuedPodInfo; seq: number }> = [];
  private readonly index = new Map<string, number>();
  private seq = 0;

  get size(): number {
    return this.items.length;
  }
  has(key: string): boolean {
    return this.index.has(key);
  }
  get(key: string): QueuedPodInfo | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.items[i]!.qp;
  }
  push(qp: QueuedPodInfo): void {
    this.items.push({ qp, seq: this.seq++ });
    this.index.set(qp.podInfo.key, this.items.length - 1);
    this.up(this.items.length - 1);
  }
  pop(): QueuedPodInfo | undefined {
    if (!this.items.length) return undefined;
    const top = this.items[0]!.qp;
    this.removeAt(0);
    return top;
  }
  delete(key: string): QueuedPodInfo | undefined {
    const i = this.index.get(key);
    if (i === undefined) return undefined;
    const qp = this.items[i]!.qp;
    this.removeAt(i);
    return qp;
  }
  /** Replaces the pod of a queued item (priority may change). */
  update(qp: QueuedPodInfo): void {
    const i = this.index.get(qp.podInfo.key);
    if (i === undefined) return;
    this.items[i]!.qp = qp;
    this.up(i);
    this.down(this.index.get(qp.podInfo.key)!);
  }
  private removeAt(i: number): void {
    const last = this.items.pop()!;
    this.index.delete(this.items.length === i ? last.qp.podInfo.key : this.items[i]!.qp.podInfo.key);
    if (i < this.items.length) {
      this.items[i] = last;
      this.index.set(last.qp.podInfo.key, i);
      this.up(i);
      this.down(this.index.get(last.qp.podInfo.key)!);
    }
  }
  private less(a: { qp: QueuedPodInfo; seq: number }, b: { qp: QueuedPodInfo; seq: number }): boolean {
    const pa = a.qp.podInfo.pod.spec?.priority ?? 0;
    const pb = b.qp.podInfo.pod.spec?.priority ?? 0;
    if (pa !== pb) return pa > pb;
    const ca = creationMs(a.qp.podInfo.pod);
    const cb = creationMs(b.qp.podInfo.pod);
    if (ca !== cb) return ca < cb;
    return a.seq < b.seq;
  }
  private swap(i: number, j: number): void {
    const a = this.items[i]!;
    const b = this.items[j]!;
    this.items[i] = b;
    this.items[j] = a;
    this.index.set(b.qp.podInfo.key, i);
    this.index.set(a.qp.podInfo.key, j);
  }
  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(this.items[i]!, this.items[p]!)) return;
      this.swap(i, p);
      i = p;
    }
  }
  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.items.length && this.less(this.items[l]!, this.items[m]!)) m = l;
      if (r < this.items.length && this.less(this.items[r]!, this.items[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}

const creationCache = new WeakMap<Pod, number>();
function creationMs(pod: Pod): number {
  let t = creationCache.get(pod);
  if (t === undefined) {
    t = Date.parse(pod.metadata?.creationTimestamp ?? "") || 0;
    creationCache.set(pod, t);
  }
  return t;
}

/** kube-scheduler's isPodUpdated: ignores status and bookkeeping metadata. */
function changedForScheduling(a: Pod, b: Pod): boolean {
  return (
    JSON.stringify(a.spec) !== JSON.stringify(b.spec) ||
    JSON.stringify(a.metadata?.labels) !== JSON.stringify(b.metadata?.labels) ||
    JSON.stringify(a.metadata?.annotations) !== JSON.stringify(b.metadata?.annotations)
  );
}

function keyOf(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}

/**
 * Pending pods of every profile. Contract:
 * - `pop` hands out the best pod of activeQ and marks it in flight; a pod in flight is never
 *   handed out again until `done(key)` (added or updated meanwhile, it waits for `done`).
 * - A failed pod comes back through `addUnschedulable` with the plugins that rejected it: to
 *   backoffQ when it failed with an error or a cluster event that could help it (by those
 *   plugins' registered events) arrived while it was in flight, else to the unschedulable set,
 *   which `moveAllToActiveOrBackoff` (such events) and the periodic flush empty again.
 * - Single-threaded (the event loop); `close` wakes every waiting `pop` with undefined.
 * - `nominator` indexes the pending pods nominated to nodes; the scheduler's pod handlers keep it.
 */
export class SchedulingQueue {
  readonly nominator = new PodNominator();
  private readonly active = new ActiveHeap();
  private readonly backoff = new Map<string, { qp: QueuedPodInfo; until: number }>();
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  /** Pods handed out by pop, with the cluster events seen meanwhile and a newer object if one came. */
  private readonly inFlight = new Map<string, { eventsAtStart: ReadonlyMap<ClusterEvent, number>; latest?: Pod; deleted?: boolean }>();
  /** How many of each cluster event happened so far: a flight compares against its start (O(kinds), not O(flights) per event). */
  private readonly eventCounts = new Map<ClusterEvent, number>();
  /** plugin name → the events it registered (event hints); plugins not in it are helped by any. */
  private pluginEvents = new Map<string, ReadonlySet<ClusterEvent>>();
  private readonly waiters: Array<(qp: QueuedPodInfo | undefined) => void> = [];
  private closed = false;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxInUnschedulableMs: number;
  private readonly now: () => number;

  constructor(opts: QueueOptions = {}) {
    this.initialBackoffMs = opts.initialBackoffMs ?? 1_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxInUnschedulableMs = opts.maxInUnschedulableMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** Sets which cluster events can help a pod rejected by each plugin (from the profiles' plugins). */
  setPluginEvents(events: ReadonlyMap<string, ReadonlySet<ClusterEvent>>): void {
    this.pluginEvents = new Map(events);
  }

  /** kube-scheduler's isPodWorthRequeuing: whether `event` could help a pod rejected by `plugins`. */
  private worthRequeuing(plugins: ReadonlySet<string> | undefined, event: ClusterEvent): boolean {
    if (!plugins?.size || WILDCARD_EVENTS.has(event)) return true;
    for (const plugin of plugins) {
      const events = this.pluginEvents.get(plugin);
      if (!events || events.has(event)) return true;
    }
    return false;
  }

  /** The kinds of cluster event that happened since `counts` was taken. */
  private eventsSince(counts: ReadonlyMap<ClusterEvent, number>): ClusterEvent[] {
    const out: ClusterEvent[] = [];
    for (const [event, n] of this.eventCounts) if (n !== (counts.get(event) ?? 0)) out.push(event);
    return out;
  }

  /** A new pending pod (informer add). */
  add(pod: Pod): void {
    const key = keyOf(pod);
    const flight = this.inFlight.get(key);
    if (flight) {
      flight.latest = pod;
      return;
    }
    if (this.active.has(key) || this.backoff.has(key) || this.unschedulable.has(key)) {
      this.update(pod);
      return;
    }
    const now = this.now();
    this.pushActive({ podInfo: newPodInfo(pod), attempts: 0, timestamp: now, initialAttemptTimestamp: now });
  }

  /** A pending pod changed: queued copies get the new object; an unschedulable pod is retried. */
  update(pod: Pod): void {
    const key = keyOf(pod);
    const flight = this.inFlight.get(key);
    if (flight) {
      flight.latest = pod;
      return;
    }
    const inActive = this.active.get(key);
    if (inActive) {
      this.active.update({ ...inActive, podInfo: newPodInfo(pod) });
      return;
    }
    const inBackoff = this.backoff.get(key);
    if (inBackoff) {
      inBackoff.qp = { ...inBackoff.qp, podInfo: newPodInfo(pod) };
      return;
    }
    const inUnschedulable = this.unschedulable.get(key);
    if (inUnschedulable) {
      // Our own status writes (PodScheduled=False) come back as updates: only a change the
      // scheduler looks at (spec, labels, annotations) is worth a retry.
      if (!changedForScheduling(inUnschedulable.podInfo.pod, pod)) {
        inUnschedulable.podInfo = newPodInfo(pod);
        return;
      }
      this.unschedulable.delete(key);
      this.toBackoffOrActive({ ...inUnschedulable, podInfo: newPodInfo(pod) });
      return;
    }
    this.add(pod);
  }

  /** The pod was deleted or bound: forget it everywhere. */
  delete(pod: Pod): void {
    const key = keyOf(pod);
    const flight = this.inFlight.get(key);
    if (flight) flight.deleted = true;
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
  }

  /** The next pod to schedule, waiting while activeQ is empty; undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const qp = this.active.pop();
    if (qp) return Promise.resolve(this.startFlight(qp));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends a pod's flight (after its binding cycle or its failure was handled). */
  done(key: string): void {
    const flight = this.inFlight.get(key);
    this.inFlight.delete(key);
    // A pod updated while in flight and not handed back (e.g. scheduling was skipped) is retried.
    if (flight?.latest && !flight.deleted && !this.isQueued(key) && !flight.latest.spec?.nodeName) this.add(flight.latest);
  }

  /**
   * A pod that failed its attempt. `error`: the failure was not the pod's fault (retry with
   * backoff, as after a move request); otherwise it waits in the unschedulable set.
   */
  addUnschedulable(qp: QueuedPodInfo, opts: { error?: boolean; plugins?: ReadonlySet<string> } = {}): void {
    const key = qp.podInfo.key;
    const flight = this.inFlight.get(key);
    if (flight?.deleted) return;
    const latest = flight?.latest;
    const item: QueuedPodInfo = { ...qp, podInfo: latest ? newPodInfo(latest) : qp.podInfo, timestamp: this.now() };
    if (opts.plugins) item.unschedulablePlugins = opts.plugins;
    else delete item.unschedulablePlugins;
    if (latest?.spec?.nodeName) return;
    const changed = latest !== undefined && changedForScheduling(qp.podInfo.pod, latest);
    // An event during the attempt that could help it: retry after backoff instead of waiting.
    const helped = flight !== undefined && this.eventsSince(flight.eventsAtStart).some((e) => this.worthRequeuing(opts.plugins, e));
    if (opts.error || helped || changed) this.toBackoffOrActive(item);
    else this.unschedulable.set(key, item);
  }

  /**
   * A cluster event: retries (after their backoff) the unschedulable pods it could help, by the
   * plugins that rejected each (event hints); pods in flight remember it for their outcome.
   */
  moveAllToActiveOrBackoff(event: ClusterEvent): void {
    this.eventCounts.set(event, (this.eventCounts.get(event) ?? 0) + 1);
    for (const [key, qp] of this.unschedulable) {
      if (!this.worthRequeuing(qp.unschedulablePlugins, event)) continue;
      this.unschedulable.delete(key);
      this.toBackoffOrActive(qp);
    }
  }

  /** Moves backoffQ pods whose backoff ended to activeQ (call every second). */
  flushBackoffCompleted(): void {
    const now = this.now();
    for (const [key, { qp, until }] of this.backoff) {
      if (until <= now) {
        this.backoff.delete(key);
        this.pushActive(qp);
      }
    }
  }

  /** Retries pods unschedulable for longer than maxInUnschedulable (call every 30 s). */
  flushUnschedulableLeftover(): void {
    const now = this.now();
    for (const [key, qp] of this.unschedulable) {
      if (now - qp.timestamp >= this.maxInUnschedulableMs) {
        this.unschedulable.delete(key);
        this.toBackoffOrActive(qp);
      }
    }
  }

  /** Starts the periodic flushes; they stop when the signal aborts. */
  run(signal: AbortSignal): void {
    const backoff = setInterval(() => this.flushBackoffCompleted(), 1_000);
    const leftover = setInterval(() => this.flushUnschedulableLeftover(), 30_000);
    signal.addEventListener("abort", () => {
      clearInterval(backoff);
      clearInterval(leftover);
      this.close();
    }, { once: true });
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** Pending pods per queue, for scheduler_pending_pods. */
  pending(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inFlight: this.inFlight.size };
  }

  /** The backoff a pod gets after `attempts` failed attempts: initial × 2^(attempts−1), capped. */
  backoffDuration(attempts: number): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < attempts && d < this.maxBackoffMs; i++) d *= 2;
    return Math.min(d, this.maxBackoffMs);
  }

  private isQueued(key: string): boolean {
    return this.active.has(key) || this.backoff.has(key) || this.unschedulable.has(key);
  }

  private toBackoffOrActive(qp: QueuedPodInfo): void {
    const until = qp.timestamp + this.backoffDuration(Math.max(1, qp.attempts));
    if (until > this.now()) this.backoff.set(qp.podInfo.key, { qp, until });
    else this.pushActive(qp);
  }

  private pushActive(qp: QueuedPodInfo): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.startFlight(qp));
    else this.active.push(qp);
  }

  private startFlight(qp: QueuedPodInfo): QueuedPodInfo {
    qp.attempts++;
    this.inFlight.set(qp.podInfo.key, { eventsAtStart: new Map(this.eventCounts) });
    return qp;
  }
}
