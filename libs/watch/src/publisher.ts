// Publishes the etcd change feed to the watch stream in revision order, resuming where the stream ends.
import { headers, type JetStreamClient, type JetStreamManager } from "nats";
import { isCompactedError, type ChangeSource } from "./change-source.js";
import { GAP_TYPE, PREV_REVISION_HEADER, REVISION_HEADER, TYPE_HEADER, gapMessage, messagesForChange, type OutgoingMessage } from "./event-messages.js";
import { KP_WATCH } from "./subjects.js";

/** The structured logger the publisher reports retries and gaps to (pino's signature). */
export interface WatchLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** Options of `WatchPublisher`. */
export interface WatchPublisherOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  source: ChangeSource;
  /**
   * Called once per published change (after all its messages were acknowledged), with the seconds
   * from receiving the change from etcd to the last acknowledgement.
   */
  onPublished?: (resource: string, type: string, revision: number, lagSeconds?: number) => void;
  /** Called when etcd compacted the resume point: revisions in (lastPublished, resumedAfter] were skipped. */
  onGap?: (lastPublished: number, resumedAfter: number) => void;
  logger?: WatchLogger;
  /** Recognises the source's compaction error. Default: `isCompactedError`. */
  isCompacted?: (error: unknown) => boolean;
  /** Back-off between publish attempts, in ms. Default 50 → 5000. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** PubAck timeout, in ms. Default 5000. */
  publishTimeoutMs?: number;
}

/**
 * The apiserver leader's bridge from etcd to JetStream (ARCHITECTURE §4). `run` must be called by
 * one leader at a time and never concurrently on one instance. Messages go out strictly in
 * revision order, each waiting for its PubAck; a failing publish is retried with back-off forever
 * (a change is never skipped nor reordered), so a NATS outage stalls the feed instead of losing it.
 */
export class WatchPublisher {
  readonly #opts: WatchPublisherOptions;
  #lastPublished = 0;
  #resumeRevision: number | undefined;

  constructor(opts: WatchPublisherOptions) {
    this.#opts = opts;
  }

  /** The revision of the last change (or gap marker) this instance saw acknowledged; 0 before any. */
  get lastPublishedRevision(): number {
    return this.#lastPublished;
  }

  /**
   * The first revision `run` watches from, once it has found the resume point (undefined before):
   * every change from this revision on will be published.
   */
  get resumeRevision(): number | undefined {
    return this.#resumeRevision;
  }

  /**
   * Publishes until `signal` aborts (then resolves). The resume point is the revision of the
   * stream's last message itself, not the one after: a revision may span several messages (a pod's
   * by-node views, a multi-key transaction) and a crash may have cut it short; the messages of that
   * revision already in the stream are skipped by their `Nats-Msg-Id`, so the replay adds no
   * duplicates even after the dedup window. An empty stream starts after etcd's current revision.
   * Rejects with the source's error (other than compaction) or a JetStream management error.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { source, logger } = this.#opts;
    const isCompacted = this.#opts.isCompacted ?? isCompactedError;
    let resume = await this.#resumePoint(signal);
    let prevRevision = resume.prevRevision;
    this.#resumeRevision = resume.from;
    for (;;) {
      try {
        for await (const change of source.watchChanges(resume.from, signal)) {
          if (change.revision < resume.from) continue;
          const built = messagesForChange(change);
          if (!built) continue;
          const received = performance.now();
          for (const message of built.messages) {
            if (change.revision === resume.from && resume.published.has(message.msgId)) continue;
            await this.#publish(message, prevRevision, signal);
            prevRevision = message.revision;
          }
          this.#lastPublished = change.revision;
          this.#opts.onPublished?.(built.resource, built.type, change.revision, (performance.now() - received) / 1000);
        }
        return;
      } catch (error) {
        if (signal.aborted) return;
        if (!isCompacted(error)) throw error;
        const current = await source.currentRevision();
        logger?.warn({ component: "watch-publisher", lastPublished: prevRevision, resumedAfter: current, err: error }, "etcd compacted the resume point; publishing a gap marker and continuing from the current revision");
        await this.#publish(gapMessage(current), prevRevision, signal);
        this.#opts.onGap?.(prevRevision, current);
        this.#lastPublished = current;
        prevRevision = current;
        resume = { from: current + 1, prevRevision: current, published: new Set() };
      }
    }
  }

  async #resumePoint(signal: AbortSignal): Promise<{ from: number; prevRevision: number; published: Set<string> }> {
    const { jsm, source } = this.#opts;
    const { state } = await jsm.streams.info(KP_WATCH);
    if (state.messages === 0) {
      const current = await source.currentRevision();
      if (state.last_seq > 0) {
        // The stream's history aged out: we cannot know what was last published, so tell watchers.
        this.#opts.logger?.warn({ component: "watch-publisher", resumedAfter: current }, "watch stream is empty; resuming after the current revision");
        await this.#publish(gapMessage(current), current, signal);
      }
      return { from: current + 1, prevRevision: current, published: new Set() };
    }
    const last = await jsm.streams.getMessage(KP_WATCH, { seq: state.last_seq });
    const lastRevision = Number(last.header.get(REVISION_HEADER));
    this.#lastPublished = lastRevision;
    if (last.header.get(TYPE_HEADER) === GAP_TYPE) return { from: lastRevision + 1, prevRevision: lastRevision, published: new Set() };
    const published = new Set<string>([last.header.get("Nats-Msg-Id")]);
    for (let seq = state.last_seq - 1; seq >= state.first_seq; seq--) {
      const msg = await jsm.streams.getMessage(KP_WATCH, { seq });
      if (Number(msg.header.get(REVISION_HEADER)) !== lastRevision) break;
      published.add(msg.header.get("Nats-Msg-Id"));
    }
    return { from: lastRevision, prevRevision: lastRevision, published };
  }

  async #publish(message: OutgoingMessage, prevRevision: number, signal: AbortSignal): Promise<void> {
    const { js, logger, retryInitialMs = 50, retryMaxMs = 5_000, publishTimeoutMs = 5_000 } = this.#opts;
    const h = headers();
    h.set(REVISION_HEADER, String(message.revision));
    h.set(TYPE_HEADER, message.type);
    h.set(PREV_REVISION_HEADER, String(prevRevision));
    for (let attempt = 0; ; attempt++) {
      signal.throwIfAborted();
      try {
        await js.publish(message.subject, message.payload, { msgID: message.msgId, headers: h, timeout: publishTimeoutMs });
        return;
      } catch (error) {
        if (signal.aborted) throw error;
        const delayMs = Math.min(retryMaxMs, retryInitialMs * 2 ** Math.min(attempt, 16));
        logger?.warn({ component: "watch-publisher", subject: message.subject, revision: message.revision, attempt, err: error }, "publish failed; retrying");
        await sleep(delayMs, signal);
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
