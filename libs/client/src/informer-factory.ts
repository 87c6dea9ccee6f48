// Shared informers: one informer (one cache, one watch) per kind, shared by every controller.
import type { ApiObject, KindInfo } from "@kubeplane/api";
import type { ApiClient } from "./api-client.js";
import type { IndexFunc } from "./indexer.js";
import { Informer, type InformerLogger, type InformerMetrics, type InformerSyncStatus, type WatchConnection } from "./informer.js";

/** Options of a SharedInformerFactory. */
export interface SharedInformerFactoryOptions {
  logger?: InformerLogger | undefined;
  /**
   * Only this node's pods (a kubelet): the pods informer lists `spec.nodeName=<node>` and watches
   * the node's pods-by-node subjects, the only ones its NATS user may read.
   */
  nodeName?: string | undefined;
  /** Every informer's metrics. */
  metrics?: InformerMetrics | undefined;
  /** While `waitForCacheSync` waits, it logs the informers not synced yet (and why) this often. Default 10 s. */
  syncReportIntervalMs?: number | undefined;
}

/**
 * Hands out one Informer per kind. Controllers ask for informers while they are built, then the
 * manager `start`s them all and waits for `waitForCacheSync` before any reconcile runs. Informers
 * asked for after `start` are started at once.
 */
export class SharedInformerFactory {
  private readonly informers = new Map<string, Informer<ApiObject>>();
  private signal: AbortSignal | undefined;
  private readonly running: Promise<void>[] = [];

  constructor(
    private readonly client: ApiClient,
    private readonly watch: WatchConnection,
    private readonly options: SharedInformerFactoryOptions = {},
  ) {}

  /** The shared informer of `kind`; extra indexes are added to it (names must not clash). */
  informerFor<T extends ApiObject>(kind: KindInfo<T>, indexers: Record<string, IndexFunc<T>> = {}): Informer<T> {
    const key = `${kind.group}/${kind.resource}`;
    let informer = this.informers.get(key) as Informer<T> | undefined;
    if (!informer) {
      const byNode = this.options.nodeName && kind.group === "" && kind.resource === "pods" ? { nodeName: this.options.nodeName } : {};
      informer = new Informer<T>({ client: this.client, watch: this.watch, kind, indexers, logger: this.options.logger, metrics: this.options.metrics, ...byNode });
      this.informers.set(key, informer as unknown as Informer<ApiObject>);
      if (this.signal) this.running.push(informer.run(this.signal));
    } else {
      for (const [name, fn] of Object.entries(indexers)) informer.addIndex(name, fn);
    }
    return informer;
  }

  /** Runs every informer until the signal aborts. */
  start(signal: AbortSignal): void {
    this.signal = signal;
    for (const informer of this.informers.values()) this.running.push(informer.run(signal));
  }

  /**
   * Resolves once every informer has listed (rejects if the signal aborts first). Never waits
   * silently: every `syncReportIntervalMs` it logs a warning naming each informer not synced yet,
   * its attempts and its last failure (an informer retries until it syncs; see Informer.run).
   */
  async waitForCacheSync(signal: AbortSignal): Promise<void> {
    const informers = [...this.informers.values()];
    const every = this.options.syncReportIntervalMs ?? 10_000;
    const started = Date.now();
    const report = setInterval(() => {
      const waiting = this.unsynced();
      if (waiting.length > 0) this.options.logger?.warn({ waitingMs: Date.now() - started, unsynced: waiting }, `waiting for informer caches to sync: ${waiting.map((w) => `${w.kind} (${w.attempts} attempts${w.lastError ? `, last: ${w.lastError}` : ""})`).join(", ")}`);
    }, every);
    try {
      await Promise.all(informers.map((i) => i.waitForSync(signal)));
    } finally {
      clearInterval(report);
    }
  }

  /** The informers whose caches have not synced yet, with their attempts and last failures. */
  unsynced(): InformerSyncStatus[] {
    return [...this.informers.values()].map((i) => i.syncStatus).filter((s) => !s.synced);
  }

  /** Resolves once every informer has stopped (after the start signal aborted). */
  async stopped(): Promise<void> {
    await Promise.allSettled(this.running);
  }
}
