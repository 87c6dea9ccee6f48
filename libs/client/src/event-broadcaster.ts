// Records core/v1 Events in the background, as client-go's event broadcaster: a bounded queue
// drained by a few writers, identical events folded into one with a count, and a per-object
// spam filter, so events never hold up the work they describe nor flood the apiserver. New events
// leave in CreateEvents batch calls where the apiserver has them.
import { randomBytes } from "node:crypto";
import { coreV1Event, isAlreadyExists, isApiError, isForbidden, isNotFound, kindFor, type ApiError, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { ApiClient } from "./api-client.js";

const events = kindFor("v1", "Event") as KindInfo<coreV1Event.Event>;

export interface EventBroadcasterOptions {
  /**
   * The apiserver. With `createEvents`, new events are sent in batch calls (falling back to single
   * creates against an apiserver without the call); without it, one create per event.
   */
  client: Pick<ApiClient, "create" | "patch"> & Partial<Pick<ApiClient, "createEvents">>;
  /** source.component and reportingComponent, e.g. "default-scheduler". */
  component: string;
  /** reportingInstance: this replica. */
  instance: string;
  /** source.host: the node, for a node agent (the kubelet). */
  host?: string;
  /** Events waiting beyond this are dropped (client-go's maxQueuedEvents: 1000). */
  maxQueued?: number;
  /** Calls in flight at once. Default 2 with batch calls (one batch fills while the other is stored), else 4. */
  writers?: number;
  /** Events per CreateEvents call; default 128 (the apiserver's limit, one etcd txn). */
  maxBatch?: number;
  /** Told about a write the apiserver refused (logged by the caller; never thrown). */
  onError?: (err: unknown, event: coreV1Event.Event) => void;
  /** Told about each event dropped because the queue was full or its object sent too many. */
  onDrop?: (event: coreV1Event.Event) => void;
  /** Events about one object allowed at once (client-go: 25); refilled one per `spamRefillMs`. */
  spamBurst?: number;
  /** client-go: one per 5 minutes. */
  spamRefillMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** A write waiting or in flight: a new Event, or a count update of one already written. */
interface Write {
  event: coreV1Event.Event;
  /** Create it (first sighting), or patch count and lastTimestamp (a repeat). */
  op: "create" | "patch";
  seen: Seen;
}

/** What the correlator remembers of an event it sent, to fold identical repeats into it. */
interface Seen {
  event: coreV1Event.Event;
  /** The write of this event not taken by a writer yet, if any: a repeat just updates it. */
  queued?: Write;
}

/** How many distinct events and objects the correlator remembers (client-go's LRU size). */
const CACHE_SIZE = 4096;

export type EventType = "Normal" | "Warning";

/** Kubernetes' event time format (seconds). */
function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * `record` returns at once; the event is written later by one of `writers` background writers. A
 * burst beyond `maxQueued` waiting events is dropped and counted, as client-go does: events are
 * for humans and must not compete with the writes they report on (binds, status). `flush` waits
 * for what is queued (at shutdown).
 *
 * As client-go's EventCorrelator: an event identical to one recorded before (same object, type,
 * reason, message) is not written again but raises that Event's count and lastTimestamp (a merge
 * patch; the count only, while the first write is still queued); and each object may have at most
 * `spamBurst` events at once, refilled one per `spamRefillMs` (a crash-looping pod does not flood).
 *
 * Batching (the scheduler's BatchBinder policy): a writer that finds a new event at the head of
 * the queue takes it and the new events queued right behind it (at most `maxBatch`) into one
 * CreateEvents call, so a lone event leaves at once and a burst leaves in a few calls; count
 * patches stay single calls, in queue order. Each event of a batch has its own outcome (onError);
 * a whole call refused as Forbidden across namespaces is sent again per namespace, and an
 * apiserver without the call (MethodNotAllowed) gets single creates from then on.
 */
export class EventBroadcaster {
  private readonly queue: Write[] = [];
  private head = 0;
  private active = 0;
  private idle: Array<() => void> = [];
  private droppedCount = 0;
  private readonly maxQueued: number;
  private readonly writers: number;
  private readonly maxBatch: number;
  /** Set once the apiserver answered that it has no CreateEvents: single creates from then on. */
  private single: boolean;
  private readonly now: () => number;
  /** CreateEvents calls sent and the events they carried (metrics, benchmarks, tests). */
  batchCalls = 0;
  batchedEvents = 0;
  /** Identical-event key → the event it became (LRU by insertion order). */
  private readonly seen = new Map<string, Seen>();
  /** Object key → its spam-filter bucket (LRU by insertion order). */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly opts: EventBroadcasterOptions) {
    this.maxQueued = opts.maxQueued ?? 1000;
    this.single = !opts.client.createEvents;
    this.writers = opts.writers ?? (this.single ? 4 : 2);
    this.maxBatch = Math.max(1, opts.maxBatch ?? 128);
    this.now = opts.now ?? Date.now;
  }

  /** Events dropped so far because the queue was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Events waiting to be written. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /**
   * Queues an Event about `obj` (of kind `kind`), or counts it as a repeat of an identical one.
   * `fieldPath` names the part of the object it is about, e.g. `spec.containers{app}`.
   */
  record(kind: KindInfo, obj: ApiObject, type: EventType, reason: string, message: string, action = reason, fieldPath = ""): void {
    const namespace = obj.metadata?.namespace || "default";
    const name = obj.metadata?.name ?? "";
    const uid = obj.metadata?.uid ?? "";
    const now = timestamp(this.now());
    const involvedObject = { apiVersion: kind.apiVersion, kind: kind.kind, namespace: obj.metadata?.namespace ?? "", name, uid, fieldPath };
    const objectKey = `${kind.apiVersion}\0${kind.kind}\0${namespace}\0${name}\0${uid}`;
    const key = `${objectKey}\0${fieldPath}\0${type}\0${reason}\0${message}`;
    const repeat = this.seen.get(key);
    if (repeat) {
      if (!this.allowed(objectKey)) return this.drop(repeat.event);
      const event = repeat.event;
      event.count += 1;
      event.lastTimestamp = now;
      this.touch(this.seen, key, repeat);
      if (repeat.queued) return; // its queued write carries the new count
      this.enqueue({ event, op: "patch", seen: repeat });
      return;
    }
    const event = coreV1Event.Event.fromPartial({
      apiVersion: "v1",
      kind: "Event",
      metadata: { namespace, name: `${name}.${randomBytes(8).toString("hex")}` },
      involvedObject: { ...involvedObject, resourceVersion: obj.metadata?.resourceVersion ?? "" },
      reason,
      message,
      type,
      action,
      source: { component: this.opts.component, host: this.opts.host ?? "" },
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
    if (!this.allowed(objectKey)) return this.drop(event);
    const seen: Seen = { event };
    this.touch(this.seen, key, seen);
    this.enqueue({ event, op: "create", seen });
  }

  private enqueue(write: Write): void {
    if (this.queued >= this.maxQueued) return this.drop(write.event);
    write.seen.queued = write;
    this.queue.push(write);
    if (this.active < this.writers) {
      this.active++;
      void this.drain();
    }
  }

  private drop(event: coreV1Event.Event): void {
    this.droppedCount++;
    this.opts.onDrop?.(event);
  }

  /** The spam filter: a token bucket per object. */
  private allowed(objectKey: string): boolean {
    const burst = this.opts.spamBurst ?? 25;
    const refillMs = this.opts.spamRefillMs ?? 300_000;
    const now = this.now();
    const bucket = this.buckets.get(objectKey) ?? { tokens: burst, at: now };
    const refill = Math.floor((now - bucket.at) / refillMs);
    if (refill > 0) {
      bucket.tokens = Math.min(burst, bucket.tokens + refill);
      bucket.at += refill * refillMs;
    }
    if (bucket.tokens >= burst) bucket.at = now;
    this.touch(this.buckets, objectKey, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Sets `key` as the most recently used entry of an LRU map, evicting the oldest beyond CACHE_SIZE. */
  private touch<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > CACHE_SIZE) map.delete(map.keys().next().value!);
  }

  /** Resolves once every queued event has been written (or failed), or after `timeoutMs`. */
  async flush(timeoutMs = 5_000): Promise<void> {
    if (this.active === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.idle.push(resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  /** One writer: takes writes off the queue until it is empty. */
  private async drain(): Promise<void> {
    try {
      for (let write = this.take(); write; write = this.take()) {
        if (write.op === "create" && !this.single) {
          const batch = [write.event];
          while (batch.length < this.maxBatch && this.queue[this.head]?.op === "create") batch.push(this.take()!.event);
          await this.createBatch(batch);
        } else {
          await this.writeOne(write.event, write.op);
        }
      }
    } finally {
      this.active--;
      if (this.active === 0) {
        const waiting = this.idle;
        this.idle = [];
        for (const resolve of waiting) resolve();
      }
    }
  }

  private async writeOne(event: coreV1Event.Event, op: Write["op"]): Promise<void> {
    try {
      if (op === "create") await this.opts.client.create(events, event);
      else await this.patchCount(event);
    } catch (err) {
      this.opts.onError?.(err, event);
    }
  }

  /** New events in one CreateEvents call; each failure is reported on its own event. */
  private async createBatch(batch: coreV1Event.Event[]): Promise<void> {
    let results: (ApiError | undefined)[];
    this.batchCalls++;
    this.batchedEvents += batch.length;
    try {
      results = await this.opts.client.createEvents!(batch);
    } catch (err) {
      if (isApiError(err) && err.reason === "MethodNotAllowed") {
        this.single = true;
        for (const event of batch) await this.writeOne(event, "create");
        return;
      }
      // Several namespaces make a cluster-wide call: a recorder allowed only in some sends each namespace's events on their own.
      const byNamespace = new Map<string, coreV1Event.Event[]>();
      for (const event of batch) {
        const ns = event.metadata?.namespace ?? "";
        const group = byNamespace.get(ns);
        if (group) group.push(event);
        else byNamespace.set(ns, [event]);
      }
      if (isForbidden(err) && byNamespace.size > 1) {
        for (const group of byNamespace.values()) await this.createBatch(group);
        return;
      }
      for (const event of batch) this.opts.onError?.(err, event);
      return;
    }
    batch.forEach((event, i) => {
      const err = results[i];
      if (err) this.opts.onError?.(err, event);
    });
  }

  /**
   * Raises a written Event's count. One deleted meanwhile (expired) is written anew, as client-go
   * does; one whose create is still in flight (another writer) exists once that create returns.
   */
  private async patchCount(event: coreV1Event.Event): Promise<void> {
    const ns = event.metadata?.namespace ?? "";
    const name = event.metadata?.name ?? "";
    const patch = (): Promise<unknown> => this.opts.client.patch(events, ns, name, { count: event.count, lastTimestamp: event.lastTimestamp });
    try {
      await patch();
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.opts.client.create(events, event);
      } catch (createErr) {
        if (!isAlreadyExists(createErr)) throw createErr;
        await patch();
      }
    }
  }

  private take(): Write | undefined {
    if (this.head >= this.queue.length) return undefined;
    const write = this.queue[this.head++]!;
    // Compact now and then, so a long-lived queue does not keep its written prefix.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    // Taken: a repeat from now on needs a write of its own.
    if (write.seen.queued === write) write.seen.queued = undefined;
    return write;
  }
}
