// The reconcile engine: a de-duplicating rate-limited work queue of object keys and workers that
// call a level-triggered reconcile for each (controller-runtime's contract).
import { ROOT_CONTEXT, SpanStatusCode, context, isSpanContextValid, trace, type Span, type SpanContext } from "@opentelemetry/api";
import type { ApiObject } from "@kubeplane/api";
import { WorkQueue, objectKey, splitKey, type Informer, type RateLimiter } from "@kubeplane/client";
import type { Logger } from "./logger.js";
import type { ControllerMetrics } from "./metrics.js";

const tracer = trace.getTracer("@kubeplane/controller");

/** What to reconcile: one object, by namespace and name (the object may no longer exist). */
export interface Request {
  namespace: string;
  name: string;
}

/** What a reconcile asks for besides success or failure. */
export interface Result {
  /** Reconcile this key again after this long (a timer, not a failure: no back-off). */
  requeueAfterMs?: number;
}

/**
 * A level-triggered reconcile: read the current state (from listers), make the world match the
 * desired state, return. Called with at most one call per key at a time. A thrown error requeues
 * the key with back-off, unless it is a TerminalError.
 */
export interface Reconciler {
  reconcile(request: Request, signal: AbortSignal): Promise<Result | void>;
}

/** An error a retry will not fix: logged and counted, the key is not requeued. */
export class TerminalError extends Error {
  override readonly name = "TerminalError";
  readonly code = "Terminal";
}

export interface ControllerOptions {
  /** The controller's name: metrics label, queue name, log component. */
  name: string;
  reconciler: Reconciler;
  /** Concurrent reconciles (different keys). Default 2. */
  workers?: number;
  rateLimiter?: RateLimiter<string>;
  metrics: ControllerMetrics;
  logger: Logger;
}

/**
 * One controller: its queue, the event sources that fill it, and workers that drain it. Handlers
 * only enqueue keys; all work happens in `reconcile`. `start` returns once the signal aborts and
 * the workers finished their current keys.
 */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue<string>;
  private readonly addedAt = new Map<string, number>();
  /** The trace a key was first queued in (the write whose watch event queued it), until reconciled. */
  private readonly queuedIn = new Map<string, SpanContext>();
  private readonly workDuration: { observe(seconds: number): void };

  constructor(private readonly options: ControllerOptions) {
    this.name = options.name;
    this.queue = new WorkQueue<string>(options.rateLimiter);
    this.workDuration = options.metrics.workDuration.labels({ name: options.name });
  }

  /** Queues a key (`namespace/name`, or `name` for cluster-scoped objects). */
  enqueueKey(key: string): void {
    if (!this.addedAt.has(key)) this.addedAt.set(key, performance.now());
    const traced = trace.getSpanContext(context.active());
    if (traced && isSpanContextValid(traced) && !this.queuedIn.has(key)) this.queuedIn.set(key, traced);
    this.options.metrics.queueAdds.inc({ name: this.name });
    this.queue.add(key);
    this.options.metrics.queueDepth.set({ name: this.name }, this.queue.length);
  }

  enqueue(obj: ApiObject): void {
    this.enqueueKey(objectKey(obj));
  }

  enqueueAfter(key: string, delayMs: number): void {
    this.queue.addAfter(key, delayMs);
  }

  /**
   * Reconciles the keys `map` returns for every add, update and delete of `informer`'s objects
   * (the object itself by default). Updates that change nothing but resourceVersion are skipped.
   */
  watch<T extends ApiObject>(informer: Informer<T>, map: (obj: T) => string[] = (o) => [objectKey(o)]): void {
    informer.addEventHandler({
      onAdd: (o) => map(o).forEach((k) => this.enqueueKey(k)),
      onUpdate: (old, cur) => {
        const keys = new Set([...map(old), ...map(cur)]);
        keys.forEach((k) => this.enqueueKey(k));
      },
      onDelete: (o) => map(o).forEach((k) => this.enqueueKey(k)),
    });
  }

  /** Runs `workers` reconcile loops until the signal aborts. */
  async start(signal: AbortSignal): Promise<void> {
    const stop = (): void => this.queue.shutDown();
    signal.addEventListener("abort", stop, { once: true });
    const workers = Array.from({ length: this.options.workers ?? 2 }, () => this.worker(signal));
    await Promise.all(workers);
    signal.removeEventListener("abort", stop);
  }

  /** A span for reconciling `key` when it was queued in a trace (none otherwise: untraced reconciles stay untraced). */
  private reconcileSpan(key: string): Span | undefined {
    const queued = this.queuedIn.get(key);
    if (!queued) return undefined;
    this.queuedIn.delete(key);
    return tracer.startSpan(`reconcile ${this.name}`, { attributes: { "kubeplane.controller": this.name, "kubeplane.key": key } }, trace.setSpanContext(ROOT_CONTEXT, queued));
  }

  private async worker(signal: AbortSignal): Promise<void> {
    const { metrics, logger, reconciler } = this.options;
    const labels = { controller: this.name };
    for (;;) {
      const item = await this.queue.get();
      if (item.shutdown) return;
      const key = item.key;
      const added = this.addedAt.get(key);
      this.addedAt.delete(key);
      const span = this.reconcileSpan(key);
      if (added !== undefined) metrics.queueLatency.observe({ name: this.name }, (performance.now() - added) / 1000);
      metrics.queueDepth.set({ name: this.name }, this.queue.length);
      metrics.activeWorkers.inc(labels);
      const started = performance.now();
      try {
        const reconcile = (): Promise<Result | void> => reconciler.reconcile(splitKey(key), signal);
        // In the trace that queued the key: the reconcile's own API calls continue it.
        const result = span ? await context.with(trace.setSpan(ROOT_CONTEXT, span), reconcile) : await reconcile();
        this.queue.forget(key);
        if (result?.requeueAfterMs !== undefined && result.requeueAfterMs >= 0) {
          this.queue.addAfter(key, result.requeueAfterMs);
          metrics.reconcileTotal.inc({ ...labels, result: "requeue_after" });
        } else {
          metrics.reconcileTotal.inc({ ...labels, result: "success" });
        }
      } catch (err) {
        span?.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        metrics.reconcileErrors.inc(labels);
        if (signal.aborted) {
          // Stopping: the key is reconciled again by whoever leads next.
        } else if (err instanceof TerminalError) {
          this.queue.forget(key);
          metrics.reconcileTotal.inc({ ...labels, result: "error" });
          logger.error({ err, controller: this.name, key }, "reconcile failed permanently");
        } else {
          metrics.reconcileTotal.inc({ ...labels, result: "error" });
          metrics.queueRetries.inc({ name: this.name });
          logger.warn({ err, controller: this.name, key, retries: this.queue.numRequeues(key) }, "reconcile failed; retrying with back-off");
          this.queue.addRateLimited(key);
        }
      } finally {
        const seconds = (performance.now() - started) / 1000;
        metrics.reconcileTime.observe(labels, seconds);
        this.workDuration.observe(seconds);
        span?.end();
        metrics.activeWorkers.dec(labels);
        this.queue.done(key);
      }
    }
  }
}
