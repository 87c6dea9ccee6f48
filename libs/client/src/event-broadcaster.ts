// Records core/v1 Events in the background, as client-go's event broadcaster: a bounded queue
// drained by a few writers, so events never hold up the work they describe.
import { randomBytes } from "node:crypto";
import { coreV1Event, kindFor, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { ApiClient } from "./api-client.js";

const events = kindFor("v1", "Event") as KindInfo<coreV1Event.Event>;

export interface EventBroadcasterOptions {
  client: Pick<ApiClient, "create">;
  /** source.component and reportingComponent, e.g. "default-scheduler". */
  component: string;
  /** reportingInstance: this replica. */
  instance: string;
  /** Events waiting beyond this are dropped (client-go's maxQueuedEvents: 1000). */
  maxQueued?: number;
  /** Writes in flight at once. Default 4. */
  writers?: number;
  /** Told about a write the apiserver refused (logged by the caller; never thrown). */
  onError?: (err: unknown, event: coreV1Event.Event) => void;
  /** Told about each event dropped because the queue was full. */
  onDrop?: (event: coreV1Event.Event) => void;
}

export type EventType = "Normal" | "Warning";

/** Kubernetes' event time format (seconds). */
function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * `record` returns at once; the event is written later by one of `writers` background writers. A
 * burst beyond `maxQueued` waiting events is dropped and counted, as client-go does: events are
 * for humans and must not compete with the writes they report on (binds, status). `flush` waits
 * for what is queued (at shutdown).
 */
export class EventBroadcaster {
  private readonly queue: coreV1Event.Event[] = [];
  private head = 0;
  private active = 0;
  private idle: Array<() => void> = [];
  private droppedCount = 0;
  private readonly maxQueued: number;
  private readonly writers: number;

  constructor(private readonly opts: EventBroadcasterOptions) {
    this.maxQueued = opts.maxQueued ?? 1000;
    this.writers = opts.writers ?? 4;
  }

  /** Events dropped so far because the queue was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Events waiting to be written. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Queues an Event about `obj` (of kind `kind`). */
  record(kind: KindInfo, obj: ApiObject, type: EventType, reason: string, message: string, action = reason): void {
    const namespace = obj.metadata?.namespace || "default";
    const name = obj.metadata?.name ?? "";
    const now = timestamp();
    const event = coreV1Event.Event.fromPartial({
      apiVersion: "v1",
      kind: "Event",
      metadata: { namespace, name: `${name}.${randomBytes(8).toString("hex")}` },
      involvedObject: {
        apiVersion: kind.apiVersion,
        kind: kind.kind,
        namespace: obj.metadata?.namespace ?? "",
        name,
        uid: obj.metadata?.uid ?? "",
        resourceVersion: obj.metadata?.resourceVersion ?? "",
      },
      reason,
      message,
      type,
      action,
      source: { component: this.opts.component },
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
    if (this.queued >= this.maxQueued) {
      this.droppedCount++;
      this.opts.onDrop?.(event);
      return;
    }
    this.queue.push(event);
    if (this.active < this.writers) {
      this.active++;
      void this.drain();
    }
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

  /** One writer: takes events off the queue until it is empty. */
  private async drain(): Promise<void> {
    try {
      for (let event = this.take(); event; event = this.take()) {
        try {
          await this.opts.client.create(events, event);
        } catch (err) {
          this.opts.onError?.(err, event);
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

  private take(): coreV1Event.Event | undefined {
    if (this.head >= this.queue.length) return undefined;
    const event = this.queue[this.head++];
    // Compact now and then, so a long-lived queue does not keep its written prefix.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return event;
  }
}
