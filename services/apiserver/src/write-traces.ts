// Traces of writes: a span per etcd txn, remembered by its revision so the watch publisher continues that trace on NATS.
import { SpanKind, SpanStatusCode, context, isSpanContextValid, propagation, trace, type Context, type Span } from "@opentelemetry/api";
import type { EtcdStore } from "@kubeplane/storage";

const tracer = trace.getTracer("@kubeplane/apiserver");
/** Revisions remembered at most: the publisher normally asks within milliseconds of the commit. */
const MAX_REMEMBERED = 4096;

/**
 * Joins a write's trace to the watch event it produces. The store wrapper (`traceWrites`) notes
 * the context of each write txn by key before it commits and by revision once it has; the
 * publisher asks (`publishing`) when it publishes the change, which starts a PRODUCER span, ended
 * when JetStream acknowledged the change (`published`). etcd's watch may deliver the change
 * before the txn's own response, hence the key. Only this process's writes are known: with
 * several apiservers, a write served by a replica that does not publish starts no publish span.
 * Single-threaded use only (Node's event loop).
 */
export class WriteTraces {
  private readonly byKey = new Map<string, Context>();
  private readonly byRevision = new Map<number, Context>();
  private readonly inFlight = new Map<number, Span>();

  /** A write of `key` is about to run in `ctx`. */
  writing(key: string, ctx: Context): void {
    remember(this.byKey, key, ctx);
  }

  /**
   * The write of `key` in `ctx` committed at resourceVersion `revision`. Nothing to keep when its change was
   * already published (the watch was first) or a concurrent write of the key took its place.
   */
  committed(key: string, revision: number, ctx: Context): void {
    if (this.byKey.get(key) !== ctx) return;
    this.byKey.delete(key);
    remember(this.byRevision, revision, ctx);
  }

  /** The write of `key` in `ctx` failed: no event will come of it. */
  failed(key: string, ctx: Context): void {
    if (this.byKey.get(key) === ctx) this.byKey.delete(key);
  }

  /** The traceparent to publish `change` with (a new PRODUCER span's), if the write that made it was traced here. */
  publishing(change: { key: string; resourceVersion: number }): string | undefined {
    let parent = this.byRevision.get(change.resourceVersion);
    if (parent) this.byRevision.delete(change.resourceVersion);
    else {
      parent = this.byKey.get(change.key);
      if (!parent) return undefined;
      this.byKey.delete(change.key);
    }
    const span = tracer.startSpan("watch publish", { kind: SpanKind.PRODUCER, attributes: { "messaging.system": "nats", "kubeplane.revision": change.resourceVersion } }, parent);
    this.inFlight.get(change.resourceVersion)?.end();
    this.inFlight.set(change.resourceVersion, span);
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(parent, span), carrier);
    return carrier.traceparent;
  }

  /** JetStream acknowledged the change at `revision`: its publish span ends. */
  published(revision: number): void {
    const span = this.inFlight.get(revision);
    if (!span) return;
    this.inFlight.delete(revision);
    span.end();
  }
}

/** Sets `key` in a map bounded to MAX_REMEMBERED entries (the oldest go first). */
function remember<K>(map: Map<K, Context>, key: K, ctx: Context): void {
  map.delete(key);
  map.set(key, ctx);
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value!);
}

/** Whether `ctx` carries a real trace (not the API's invalid placeholder for "no trace"). */
function traced(ctx: Context): boolean {
  const sc = trace.getSpanContext(ctx);
  return sc !== undefined && isSpanContextValid(sc);
}

type WriteOp = "create" | "update" | "delete";
const writeOps = new Set<string>(["create", "update", "delete"]);

/**
 * `store` with a CLIENT span around each write txn (create, update, delete) in the caller's trace,
 * its revision recorded in `traces`. Reads are not traced (they are the bulk of calls and lead to
 * no event). A write outside any trace costs one Set lookup.
 */
export function traceWrites(store: EtcdStore, traces: WriteTraces): EtcdStore {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function") return value;
      let fn = wrapped.get(prop);
      if (!fn) {
        fn = wrap(target, prop, value as (...args: unknown[]) => unknown);
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });

  function wrap(target: EtcdStore, prop: PropertyKey, method: (...args: unknown[]) => unknown): unknown {
    if (typeof prop !== "string" || !writeOps.has(prop)) return method.bind(target);
    const op = prop as WriteOp;
    return async (...args: unknown[]): Promise<number> => {
      const parent = context.active();
      if (!traced(parent)) return (await method.apply(target, args)) as number;
      const key = String(args[0]);
      const span = tracer.startSpan(`etcd txn ${op}`, { kind: SpanKind.CLIENT, attributes: { "db.system": "etcd", "db.operation": op, "db.etcd.key": key } }, parent);
      const ctx = trace.setSpan(parent, span);
      traces.writing(key, ctx);
      try {
        const revision = (await method.apply(target, args)) as number;
        span.setAttribute("kubeplane.revision", revision);
        traces.committed(key, revision, ctx);
        return revision;
      } catch (err) {
        traces.failed(key, ctx);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    };
  }
}
