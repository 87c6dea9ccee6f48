// Informers: a cache of one kind kept current by subscribe-then-list over NATS JetStream (ARCHITECTURE §4).
import type { JetStreamClient, JetStreamManager } from "nats";
import { fieldsOf, isNotFound, parseFieldSelector, parseLabelSelector, type ApiObject, type KindInfo } from "@kubeplane/api";
import { nodeFilter, openEventStream, resourceFilter, type ConsumerObserver, type EventStream } from "@kubeplane/watch";
import type { ApiClient } from "./api-client.js";
import { Indexer, byNodeName, objectKey, type IndexFunc, type Lister } from "./indexer.js";
import { withTraceparent } from "./trace-context.js";

/** Receives an informer's changes. Called in revision order, one at a time; handlers should only enqueue. */
export interface ResourceEventHandler<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

/** Where watch events come from: the JetStream the apiserver publishes to. */
export interface WatchConnection {
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** The informer's logger: pino-compatible, optional. */
export interface InformerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * What informers report for metrics (libs/controller registers them with prom-client), labelled by
 * resource (`deployments.apps`, `pods`). Called synchronously from the informer; must not throw.
 */
export interface InformerMetrics {
  /** One creation attempt of the informer's watch consumer: created, timed out or refused. */
  consumerCreation(resource: string, result: "created" | "timeout" | "error"): void;
  /** The informer's watch consumer was replaced mid-stream (heartbeats missed, delivery gap, deleted, failed). */
  consumerRecreated(resource: string, reason: string): void;
  /** A watch or list attempt failed (`reason`: the error's code or name); the informer lists again. */
  watchFailure(resource: string, reason: string): void;
  /** The cache has synced (its first list), or not yet (at construction). */
  synced(resource: string, synced: boolean): void;
}

/** Why an informer has not synced yet, for the logs of whoever waits for it. */
export interface InformerSyncStatus {
  kind: string;
  synced: boolean;
  /** Watch-and-list attempts made so far. */
  attempts: number;
  /** The last attempt's failure, if it failed. */
  lastError?: string;
}

export interface InformerOptions<T extends ApiObject> {
  client: ApiClient;
  watch: WatchConnection;
  kind: KindInfo<T>;
  /** Only this namespace (namespaced kinds); default all. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** NATS subject filters; default the kind's (and namespace's) subjects, or the node's with `nodeName`. */
  filterSubjects?: string[];
  /**
   * Pods only: just the pods bound to this node — listed with `spec.nodeName=<node>` (added to
   * `fieldSelector`) and watched on the node's pods-by-node subjects (what a kubelet may read).
   */
  nodeName?: string;
  /** Extra cache indexes beyond namespace, owner, label (and node, for pods). */
  indexers?: Record<string, IndexFunc<T>>;
  logger?: InformerLogger | undefined;
  metrics?: InformerMetrics | undefined;
  /** Longest wait between relist attempts after failures; default 5 s. */
  maxRetryDelayMs?: number;
  /**
   * A safety net beside gap detection: list again this long after each list (0 or absent: never),
   * diffed into the cache so handlers hear only objects that really changed (client-go's resync
   * re-delivers everything; this one repairs instead).
   */
  resyncPeriodMs?: number;
  /**
   * Events carry no payload to cache: get each added or changed object from the apiserver instead.
   * Default true for Secrets, whose watch events cross NATS without their data (docs/security.md).
   */
  refetch?: boolean;
}

/** The abort reason of a watch attempt ended by the periodic relist. */
const RESYNC = Symbol("resync");

/**
 * An eventually consistent, indexed cache of one kind, with change notifications.
 *
 * - Start-up is subscribe-then-list: the event stream is opened first, then a List at revision R
 *   fills the cache, then events with revision > R are applied, so nothing between is missed.
 * - Per object, changes reach handlers in revision order, each at most once: an event no newer than
 *   the cached object is dropped. After a gap (stream lost, history discarded, NATS unreachable) the
 *   informer lists again and tells handlers only the differences from its cache, so a change is
 *   never reported twice and the cache converges to the apiserver's state. Gaps are detected by the
 *   event stream (libs/watch's consumer) for filtered and unfiltered subjects alike; `resyncPeriodMs`
 *   adds a periodic relist for what no check can see.
 * - Objects in the cache and given to handlers are shared: never mutate them.
 */
export class Informer<T extends ApiObject> {
  private readonly indexer: Indexer<T>;
  private readonly handlers = new Set<ResourceEventHandler<T>>();
  private readonly matches: (obj: T) => boolean;
  private revision = 0;
  private synced = false;
  private readonly syncWaiters: Array<() => void> = [];
  /** Full relists done (the first list included). */
  relists = 0;
  /** Events applied from the stream. */
  eventsApplied = 0;
  private attempts = 0;
  private lastError: string | undefined;
  /** The metrics label: `resource.group`, as Kubernetes names a resource. */
  private readonly resourceLabel: string;

  private readonly refetch: boolean;
  /** The caller's field selector, plus `spec.nodeName=<node>` with `nodeName`. */
  private readonly fieldSelector: string;

  constructor(private readonly options: InformerOptions<T>) {
    this.refetch = options.refetch ?? (options.kind.group === "" && options.kind.resource === "secrets");
    this.resourceLabel = options.kind.group ? `${options.kind.resource}.${options.kind.group}` : options.kind.resource;
    options.metrics?.synced(this.resourceLabel, false);
    // Pods are also indexed by node (what a kubelet or the scheduler asks for).
    const byNode: Record<string, IndexFunc<T>> = options.kind.resource === "pods" ? { node: byNodeName as IndexFunc<T> } : {};
    this.indexer = new Indexer<T>({ ...byNode, ...options.indexers });
    const labels = parseLabelSelector(options.labelSelector ?? "");
    this.fieldSelector = [options.fieldSelector, options.nodeName !== undefined ? `spec.nodeName=${options.nodeName}` : ""].filter(Boolean).join(",");
    const fields = parseFieldSelector(this.fieldSelector);
    this.matches = (obj) => {
      if (!labels.matches(obj.metadata?.labels)) return false;
      if (fields.empty) return true;
      const values = fieldsOf(options.kind, obj);
      return fields.matches((p) => values[p]);
    };
  }

  /** Adds a cache index (also over the objects already cached). */
  addIndex(name: string, fn: IndexFunc<T>): void {
    this.indexer.addIndex(name, fn);
  }

  get lister(): Lister<T> {
    return this.indexer;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Whether the cache has synced, and if not, how many attempts failed and why the last did. */
  get syncStatus(): InformerSyncStatus {
    return { kind: this.options.kind.kind, synced: this.synced, attempts: this.attempts, ...(this.lastError === undefined ? {} : { lastError: this.lastError }) };
  }

  /** The etcd revision the cache reflects. */
  get lastSyncRevision(): number {
    return this.revision;
  }

  /** Adds a handler; it first gets onAdd for every cached object. Returns its removal. */
  addEventHandler(handler: ResourceEventHandler<T>): () => void {
    this.handlers.add(handler);
    for (const obj of this.indexer.list()) this.call(handler, "onAdd", obj);
    return () => this.handlers.delete(handler);
  }

  /** Resolves once the first list is in the cache (rejects if the signal aborts first). */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal!.reason as Error);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }

  /** Keeps the cache current until the signal aborts. Never throws for transient failures. */
  async run(signal: AbortSignal): Promise<void> {
    const { kind, client } = this.options;
    const filterSubjects =
      this.options.filterSubjects ??
      (this.options.nodeName !== undefined ? [nodeFilter(this.options.nodeName)] : [resourceFilter(kind.resource, kind.namespaced ? this.options.namespace : undefined)]);
    let delay = 100;
    const { metrics } = this.options;
    const resource = this.resourceLabel;
    const observer: ConsumerObserver | undefined = metrics && {
      creationAttempt: (result) => metrics.consumerCreation(resource, result),
      recreated: (reason) => metrics.consumerRecreated(resource, reason),
    };
    while (!signal.aborted) {
      const attempt = new AbortController();
      const stop = (): void => attempt.abort();
      signal.addEventListener("abort", stop, { once: true });
      let stream: EventStream | undefined;
      let resyncTimer: NodeJS.Timeout | undefined;
      try {
        this.attempts++;
        stream = await openEventStream(this.options.watch.js, this.options.watch.jsm, {
          filterSubjects,
          signal: attempt.signal,
          logger: this.options.logger,
          logContext: { kind: kind.kind, resource },
          observer,
        });
        const list = await client.listAll(kind, {
          namespace: this.options.namespace,
          labelSelector: this.options.labelSelector,
          fieldSelector: this.fieldSelector || undefined,
          signal: attempt.signal,
        });
        this.replace(list.items as T[], Number(list.resourceVersion));
        this.lastError = undefined;
        delay = 100;
        const period = this.options.resyncPeriodMs ?? 0;
        if (period > 0) resyncTimer = setTimeout(() => attempt.abort(RESYNC), period);
        for await (const item of stream) {
          if (item.revision <= this.revision || !item.event.object) continue;
          let data: Uint8Array = item.event.object.data;
          let revision = item.revision;
          if (this.refetch && item.event.type !== "DELETED") {
            const fresh = await this.fetch(data, attempt.signal);
            if (!fresh) continue; // deleted since: its DELETED event follows
            ({ data, revision } = fresh);
          }
          // Handlers run in the trace of the write that made the change, so what they enqueue joins it.
          withTraceparent(item.traceparent, () => this.apply(item.event.type, data, revision));
        }
      } catch (err) {
        if (signal.aborted) break;
        if (attempt.signal.reason === RESYNC) continue;
        this.lastError = describe(err);
        metrics?.watchFailure(resource, errorReason(err));
        if (this.synced) this.options.logger?.warn({ err, kind: kind.kind, retryInMs: delay }, "informer lost its watch; relisting");
        else this.options.logger?.warn({ err, kind: kind.kind, attempt: this.attempts, retryInMs: delay }, `informer not synced yet: ${this.lastError}; retrying`);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, this.options.maxRetryDelayMs ?? 5000);
      } finally {
        clearTimeout(resyncTimer);
        signal.removeEventListener("abort", stop);
        attempt.abort();
        await stream?.close().catch(() => undefined);
      }
    }
  }

  /** The current object an event names, from the apiserver (undefined once it is gone), for `refetch`. */
  private async fetch(data: Uint8Array, signal: AbortSignal): Promise<{ data: Uint8Array; revision: number } | undefined> {
    const { kind } = this.options;
    const named = kind.codec.decode(data);
    try {
      const obj = await this.options.client.get(kind, named.metadata?.namespace ?? "", named.metadata?.name ?? "", { signal });
      return { data: kind.codec.encode(obj as T).finish(), revision: Number(obj.metadata?.resourceVersion) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** One event from the stream. */
  private apply(type: string, data: Uint8Array, revision: number): void {
    const obj = this.options.kind.codec.decode(data);
    obj.metadata!.resourceVersion = String(revision);
    this.revision = revision;
    this.eventsApplied++;
    const key = objectKey(obj);
    const cached = this.indexer.getByKey(key);
    if (cached && Number(cached.metadata?.resourceVersion) >= revision) return;
    if (type === "DELETED" || !this.matches(obj)) {
      if (!cached) return;
      this.indexer.remove(key);
      this.notify("onDelete", obj);
      return;
    }
    this.indexer.upsert(obj);
    if (cached) this.notifyUpdate(cached, obj);
    else this.notify("onAdd", obj);
  }

  /** A fresh list at `revision`: the cache becomes it, handlers hear only the differences. */
  private replace(items: T[], revision: number): void {
    this.relists++;
    const seen = new Set<string>();
    for (const obj of items) {
      const key = objectKey(obj);
      seen.add(key);
      const cached = this.indexer.getByKey(key);
      if (cached && cached.metadata?.resourceVersion === obj.metadata?.resourceVersion) continue;
      this.indexer.upsert(obj);
      if (cached) this.notifyUpdate(cached, obj);
      else this.notify("onAdd", obj);
    }
    for (const key of this.indexer.keys()) {
      if (seen.has(key)) continue;
      const gone = this.indexer.remove(key)!;
      this.notify("onDelete", gone);
    }
    this.revision = revision;
    if (!this.synced) {
      this.synced = true;
      this.options.metrics?.synced(this.resourceLabel, true);
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private notify(event: "onAdd" | "onDelete", obj: T): void {
    for (const h of this.handlers) this.call(h, event, obj);
  }

  private notifyUpdate(oldObj: T, newObj: T): void {
    for (const h of this.handlers) {
      try {
        h.onUpdate?.(oldObj, newObj);
      } catch (err) {
        this.options.logger?.warn({ err, kind: this.options.kind.kind }, "informer handler threw");
      }
    }
  }

  private call(h: ResourceEventHandler<T>, event: "onAdd" | "onDelete", obj: T): void {
    try {
      h[event]?.(obj);
    } catch (err) {
      this.options.logger?.warn({ err, kind: this.options.kind.kind }, "informer handler threw");
    }
  }
}

/** An error's message with its causes, for a log line a person reads. */
function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 4; e = e.cause) parts.push(e.message);
  return parts.length > 0 ? parts.join(": ") : String(err);
}

/** A bounded metrics label for a failure: the error's code or name. */
function errorReason(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && /^[A-Za-z][\w-]{0,40}$/.test(code)) return code;
  return err instanceof Error ? err.name : "unknown";
}
