// The scheduler's binder: binds assumed pods through BindPods calls of up to 128 bindings, sent as soon as a call slot is free.
import { isApiError, type ApiError } from "@kubeplane/api";
import type { PodBindingRequest } from "@kubeplane/client";

/** What the binder needs of an ApiClient. */
export interface BindingClient {
  bindPods(bindings: readonly PodBindingRequest[], opts?: { signal?: AbortSignal }): Promise<(ApiError | undefined)[]>;
  bind(namespace: string, pod: string, node: string, opts?: { signal?: AbortSignal; uid?: string }): Promise<void>;
}

export interface BatchBinderOptions {
  client: BindingClient;
  /** Bindings per call; default 128 (the apiserver's limit, one etcd txn). */
  maxBatch?: number;
  /** Calls in flight at once; default 2, so one batch fills while the other is applied. */
  maxInFlight?: number;
}

interface Waiting {
  req: PodBindingRequest;
  signal: AbortSignal;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Accumulates bindings and sends them in BindPods calls: a call leaves as soon as fewer than
 * `maxInFlight` are in flight, carrying everything that waited (at most `maxBatch`), so the
 * latency added at low load is nil and at high load each call carries what arrived during the
 * previous one. Each `bind` settles with its own outcome: resolves once its pod is bound,
 * rejects with that binding's ApiError (or the whole call's failure). An apiserver without
 * BindPods (MethodNotAllowed, during an upgrade) is then called with single binds. Single-threaded:
 * the event loop.
 */
export class BatchBinder {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;
  private single = false;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  /** Calls sent and bindings they carried (tests, the benchmark's logs). */
  calls = 0;
  bindings = 0;

  constructor(private readonly opts: BatchBinderOptions) {
    this.maxBatch = opts.maxBatch ?? 128;
    this.maxInFlight = opts.maxInFlight ?? 2;
  }

  /** Binds one pod; settles when its batch's reply arrives. An aborted signal rejects it unless its call already left. */
  bind(req: PodBindingRequest, signal: AbortSignal): Promise<void> {
    if (this.single) return this.opts.client.bind(req.namespace, req.pod, req.node, { signal, ...(req.uid ? { uid: req.uid } : {}) });
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ req, signal, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch: Waiting[] = [];
      while (batch.length < this.maxBatch && this.waiting.length > 0) {
        const w = this.waiting.shift()!;
        if (w.signal.aborted) w.reject(w.signal.reason);
        else batch.push(w);
      }
      if (batch.length === 0) return;
      this.inFlight++;
      this.calls++;
      this.bindings += batch.length;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async send(batch: Waiting[]): Promise<void> {
    let results: (ApiError | undefined)[];
    try {
      results = await this.opts.client.bindPods(batch.map((w) => w.req));
    } catch (err) {
      if (isApiError(err) && err.reason === "MethodNotAllowed") {
        this.single = true;
        for (const w of batch) this.bind(w.req, w.signal).then(w.resolve, w.reject);
        for (const w of this.waiting.splice(0)) this.bind(w.req, w.signal).then(w.resolve, w.reject);
        return;
      }
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      const err = results[i];
      if (err) w.reject(err);
      else w.resolve();
    });
  }
}
