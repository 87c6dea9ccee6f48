// Publishes the etcd change feed to the watch stream in revision order, resuming where the stream ends.
import type { JetStreamClient, JetStreamManager } from "nats";
import { isCompactedError, type Change, type ChangeSource } from "./change-source.js";
import { revisionEndVersion, revisionOfResourceVersion } from "@kubeplane/api";
import { FORMAT_HEADER, FORMAT_RV128, GAP_TYPE, REVISION_HEADER, TYPE_HEADER, gapMessage, messagesForChange } from "./event-messages.js";
import { PublishWindow, type Predecessor } from "./publish-window.js";
import { WatchStreamAheadError } from "./errors.js";
import { KP_WATCH } from "./subjects.js";
import { abortableDelay } from "./abortable-delay.js";

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
   * Called once per published change (after all its messages were acknowledged), with its
   * resourceVersion and the seconds from receiving the change from etcd to the last acknowledgement.
   */
  onPublished?: (resource: string, type: string, resourceVersion: number, lagSeconds?: number) => void;
  /** Called when etcd compacted the resume point: versions in (lastPublished, resumedAfter] were skipped (both resourceVersions). */
  onGap?: (lastPublished: number, resumedAfter: number) => void;
  /**
   * The W3C traceparent to send with `change` (the trace of the write that made it), called once
   * per change as it is published; undefined sends none.
   */
  traceparentOf?: (change: Change) => string | undefined;
  logger?: WatchLogger;
  /** Recognises the source's compaction error. Default: `isCompactedError`. */
  isCompacted?: (error: unknown) => boolean;
  /**
   * Messages published ahead of their PubAck (and so how far the change source is read ahead).
   * Default 256.
   */
  maxInFlight?: number;
  /** Back-off between publish attempts, in ms. Default 50 → 5000. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** PubAck timeout, in ms. Default 5000. */
  publishTimeoutMs?: number;
}

/**
 * The apiserver leader's bridge from etcd to JetStream (ARCHITECTURE §4). `run` must be called by
 * one leader at a time and never concurrently on one instance (a stale leader still publishing is
 * tolerated: see below). Messages are pipelined, up to `maxInFlight` without a PubAck, yet land
 * strictly in revision order: each expects its predecessor to be the stream's last message
 * (`Nats-Expected-Last-Msg-Id`; the first after a start or a failure expects the stream's last
 * sequence), so JetStream itself refuses anything out of order. When a publish fails (timeout,
 * NATS down, a refused expectation because another publisher moved the stream on) the rest of the
 * window is forgotten and, after a back-off, publishing resumes from the stream's tail exactly as
 * after a crash; this is retried forever (a change is never skipped nor reordered), so a NATS outage
 * stalls the feed instead of losing it. The change source is read at most `maxInFlight` messages
 * ahead of the acknowledgements.
 */
export class WatchPublisher {
  readonly #opts: WatchPublisherOptions;
  #lastPublished = 0;
  #resumeRevision: number | undefined;

  constructor(opts: WatchPublisherOptions) {
    if (opts.maxInFlight !== undefined && !(Number.isInteger(opts.maxInFlight) && opts.maxInFlight >= 1)) {
      throw new RangeError(`maxInFlight must be a positive integer, got ${opts.maxInFlight}`);
    }
    this.#opts = opts;
  }

  /**
   * The resourceVersion of the last change (or gap marker) this instance saw acknowledged (or found
   * in the stream when it started); 0 before any. Only advances, in order.
   */
  get lastPublishedRevision(): number {
    return this.#lastPublished;
  }

  /**
   * The first etcd revision `run` watches from, once it has found the resume point (undefined
   * before): every change from this revision on will be published.
   */
  get resumeRevision(): number | undefined {
    return this.#resumeRevision;
  }

  /**
   * Publishes until `signal` aborts (then resolves, once the messages in flight are acknowledged or
   * timed out). The resume point is the etcd revision of the stream's last message itself, not the
   * one after: a revision may span several messages (a pod's by-node views, a multi-key transaction)
   * and a crash may have cut it short; the messages of that revision already in the stream are
   * skipped by their `Nats-Msg-Id`, so the replay adds no duplicates even after the dedup window.
   * A stream whose last message predates resourceVersions (no `Kp-Format`: bare etcd revisions) is
   * purged first, so no consumer mixes the two (they see the purge and relist).
   * An empty stream starts after etcd's current revision (with a gap marker, unless this instance
   * itself published up to where the stream's history aged out). Rejects with the source's error (other
   * than compaction) or, at start only, a JetStream management error.
   */
  async run(signal: AbortSignal): Promise<void> {
    let resume: ResumePoint;
    for (let attempt = 1; ; attempt++) {
      try {
        resume = await this.#resumePoint(signal, true);
        break;
      } catch (error) {
        // Never publish over a stream from etcd's future (a restore without a bump): wait for a reset.
        if (!(error instanceof WatchStreamAheadError)) throw error;
        this.#opts.logger?.warn({ component: "watch-publisher", err: error }, "not publishing: the watch stream is ahead of etcd");
        await abortableDelay(Math.min(this.#opts.retryMaxMs ?? 5_000, (this.#opts.retryInitialMs ?? 50) * 2 ** Math.min(attempt, 16)), signal).catch(() => undefined);
        if (signal.aborted) return;
      }
    }
    this.#resumeRevision = resume.from;
    for (let failures = 0; ; ) {
      const failure = await this.#publishFrom(resume, signal);
      if (!failure) return;
      failures = failure.progressed ? 1 : failures + 1;
      const next = await this.#recover(failures, signal);
      if (!next) return;
      // Nothing was ever stored: go on from this run's own start, not from etcd's current revision.
      resume = next.fresh ? { ...resume, published: new Set(), predecessor: next.predecessor } : next;
    }
  }

  /**
   * One pipelined run from `resume` until `signal` aborts (resolves undefined) or a publish fails
   * (resolves the failure). Changes are reported (`lastPublished`, `onPublished`) as their last
   * message is acknowledged, in order; a change none of whose messages needed publishing (already
   * in the stream) is reported only if this instance had not reported its revision yet.
   */
  async #publishFrom(resume: ResumePoint, signal: AbortSignal): Promise<{ progressed: boolean } | undefined> {
    const { source, js, logger, maxInFlight = 256, publishTimeoutMs = 5_000 } = this.#opts;
    const isCompacted = this.#opts.isCompacted ?? isCompactedError;
    // Aborted by the caller or by the window's first failure: either way the source stops.
    const attempt = new AbortController();
    const onAbort = (): void => attempt.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const window = new PublishWindow({
      js,
      maxInFlight,
      timeoutMs: publishTimeoutMs,
      first: resume.predecessor,
      prevRevision: resume.prevRevision,
      onFailure: (error, message) => {
        logger?.warn({ component: "watch-publisher", subject: message.subject, revision: message.revision, err: error }, "publish failed; resuming from the stream's last message");
        attempt.abort(error);
      },
    });
    const reportedUpTo = this.#lastPublished;
    let { from, published } = resume;
    let skipThrough = resume.skipThrough ?? 0;
    try {
      if (resume.gap !== undefined) this.#publishGap(window, resume.gap);
      for (;;) {
        try {
          for await (const change of source.watchChanges(from, attempt.signal)) {
            if (change.revision < from || change.resourceVersion <= skipThrough) continue;
            const built = messagesForChange(change);
            if (!built) continue;
            const received = performance.now();
            const traceparent = this.#opts.traceparentOf?.(change);
            let sent = 0;
            for (const message of built.messages) {
              if (change.revision === from && published.has(message.msgId)) continue;
              if (!(await window.ready())) break;
              window.publish(traceparent ? { ...message, traceparent } : message);
              sent++;
            }
            if (window.failed) break;
            if (sent === 0 && change.resourceVersion <= reportedUpTo) continue;
            window.complete(() => {
              this.#lastPublished = change.resourceVersion;
              this.#report(() => this.#opts.onPublished?.(built.resource, built.type, change.resourceVersion, (performance.now() - received) / 1000));
            });
          }
          break;
        } catch (error) {
          if (attempt.signal.aborted) break;
          if (!isCompacted(error)) {
            await window.idle();
            throw error;
          }
          const current = await source.currentRevision();
          logger?.warn({ component: "watch-publisher", lastPublished: window.prevRevision, resumedAfter: current, err: error }, "etcd compacted the resume point; publishing a gap marker and continuing from the current revision");
          if (!(await window.ready())) break;
          this.#publishGap(window, current);
          from = current + 1;
          published = new Set();
          skipThrough = 0;
        }
      }
      // Let what is in flight be acknowledged (bounded by the PubAck timeout) so it is reported.
      await window.idle();
      return window.failed && !signal.aborted ? { progressed: window.acknowledged > 0 } : undefined;
    } finally {
      window.close();
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Queues a gap marker after etcd revision `revision`: events after the window's last message up to it may be missing. */
  #publishGap(window: PublishWindow, revision: number): void {
    const lastPublished = window.prevRevision;
    const marker = gapMessage(revision);
    window.publish(marker);
    window.complete(() => {
      this.#lastPublished = marker.revision;
      // The empty-stream case (lastPublished === the marker's version) is not a compaction.
      if (lastPublished !== marker.revision) this.#report(() => this.#opts.onGap?.(lastPublished, marker.revision));
    });
  }

  /** Runs a caller's callback from an acknowledgement, where a throw would be an unhandled rejection. */
  #report(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#opts.logger?.warn({ component: "watch-publisher", err: error }, "onPublished/onGap callback threw");
    }
  }

  /** Backs off, then reads the resume point again (retrying while JetStream is unreachable); undefined once aborted. */
  async #recover(failures: number, signal: AbortSignal): Promise<ResumePoint | undefined> {
    const { logger, retryInitialMs = 50, retryMaxMs = 5_000 } = this.#opts;
    for (let attempt = failures; ; attempt++) {
      try {
        await abortableDelay(Math.min(retryMaxMs, retryInitialMs * 2 ** Math.min(attempt - 1, 16)), signal);
        return await this.#resumePoint(signal, false);
      } catch (error) {
        if (signal.aborted) return undefined;
        logger?.warn({ component: "watch-publisher", attempt, err: error }, "reading the watch stream's tail failed; retrying");
      }
    }
  }

  /**
   * Where to go on from the stream's tail; at start, `lastPublished` is set to the tail's version.
   * Headers hold resourceVersions; etcd is watched from their revision (`revisionOfResourceVersion`).
   */
  async #resumePoint(signal: AbortSignal, atStart: boolean): Promise<ResumePoint> {
    const { jsm, source } = this.#opts;
    signal.throwIfAborted();
    let { state } = await jsm.streams.info(KP_WATCH);
    if (state.messages > 0) {
      const last = await jsm.streams.getMessage(KP_WATCH, { seq: state.last_seq });
      if (last.header.get(FORMAT_HEADER) !== FORMAT_RV128) {
        // Written before resourceVersions (bare etcd revisions): no version in it can be compared with ours.
        const { purged } = await jsm.streams.purge(KP_WATCH);
        this.#opts.logger?.warn({ component: "watch-publisher", purged }, "the watch stream holds messages of the format before resourceVersions; purged it (watchers relist)");
        if (atStart) this.#lastPublished = 0;
        ({ state } = await jsm.streams.info(KP_WATCH));
      }
    }
    const predecessor = { lastSequence: state.last_seq };
    if (state.messages === 0) {
      const current = await source.currentRevision();
      const end = revisionEndVersion(current);
      if (state.last_seq === 0) return { from: current + 1, prevRevision: end, published: new Set(), predecessor, fresh: true };
      // Aged out while this instance ran (e.g. during a NATS outage longer than the history): it
      // knows what it last had acknowledged, so it goes on from there, skipping nothing.
      const known = this.#lastPublished;
      if (!atStart && known > 0 && revisionOfResourceVersion(known) <= current) {
        return { from: revisionOfResourceVersion(known), skipThrough: known, prevRevision: known, published: new Set(), predecessor };
      }
      // The stream's history aged out: we cannot know what was last published, so tell watchers.
      this.#opts.logger?.warn({ component: "watch-publisher", resumedAfter: current }, "watch stream is empty; resuming after the current revision");
      return { from: current + 1, prevRevision: end, published: new Set(), predecessor, gap: current };
    }
    const last = await jsm.streams.getMessage(KP_WATCH, { seq: state.last_seq });
    const lastVersion = Number(last.header.get(REVISION_HEADER));
    const lastRevision = revisionOfResourceVersion(lastVersion);
    const current = await source.currentRevision();
    if (lastRevision > current) throw new WatchStreamAheadError(lastRevision, current);
    // Mid-run, lastPublished advances by acknowledgements alone.
    if (atStart) this.#lastPublished = lastVersion;
    // A gap marker carries its revision's end version: that revision is done.
    if (last.header.get(TYPE_HEADER) === GAP_TYPE) return { from: lastRevision + 1, prevRevision: lastVersion, published: new Set(), predecessor };
    const published = new Set<string>([last.header.get("Nats-Msg-Id")]);
    for (let seq = state.last_seq - 1; seq >= state.first_seq; seq--) {
      const msg = await jsm.streams.getMessage(KP_WATCH, { seq });
      if (revisionOfResourceVersion(Number(msg.header.get(REVISION_HEADER))) !== lastRevision) break;
      published.add(msg.header.get("Nats-Msg-Id"));
    }
    return { from: lastRevision, prevRevision: lastVersion, published, predecessor };
  }
}

/** Where a run of the publisher starts, read from the stream's tail. */
interface ResumePoint {
  /** The first etcd revision to watch. */
  from: number;
  /** Changes with a resourceVersion up to this one were published already (mid-revision resume). */
  skipThrough?: number;
  /** `Kp-Prev-Revision` of the first message (a resourceVersion). */
  prevRevision: number;
  /** Msg ids of revision `from` already in the stream. */
  published: Set<string>;
  /** The stream's last sequence, which the first message expects. */
  predecessor: Predecessor;
  /** Publish a gap marker after this etcd revision first (the stream's history aged out). */
  gap?: number;
  /** The stream never held a message. */
  fresh?: boolean;
}

