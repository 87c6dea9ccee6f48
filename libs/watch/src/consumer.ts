// Reads watch events from the stream in revision order through an ordered consumer, resumable by revision.
import { apiserverV1 } from "@kubeplane/api";
import type { JetStreamClient, JetStreamManager, NatsConnection, Status, StreamState, Subscription } from "nats";
import { ResyncRequiredError, RevisionGoneError } from "./errors.js";
import { FORMAT_HEADER, FORMAT_RV128, PREV_REVISION_HEADER, REVISION_END_HEADER, REVISION_HEADER, TRACEPARENT_HEADER } from "./event-messages.js";
import { OrderedConsumer, type ConsumerLogger, type ConsumerObserver } from "./ordered-consumer.js";
import { ALL_SUBJECTS, GAP_SUBJECT, KP_WATCH } from "./subjects.js";

/** Options of `openEventStream`. */
export interface EventStreamOptions {
  /** Subject filters (see `resourceFilter`, `nodeFilter`); must not overlap one another. */
  filterSubjects: string[];
  /**
   * Deliver the events with resourceVersion > this (e.g. the resourceVersion a List returned, or the
   * last event seen: a version inside a batched revision delivers only that revision's later
   * events). Undefined: deliver only events published from the call on.
   */
  afterRevision?: number;
  /** Aborting ends the iteration (without error) and deletes the consumer. */
  signal: AbortSignal;
  /**
   * Least time between two continuity checks (one stream info request each) after the stream
   * sequence jumped over messages the filter skipped. Default 1000 ms.
   */
  continuityCheckIntervalMs?: number;
  /**
   * Longest time to get a consumer created (the first one, and each replacement), attempt after
   * attempt; then ConsumerCreateError (from `openEventStream`) or ResyncRequiredError with it as
   * cause (from the iteration). Default 30 s.
   */
  createDeadlineMs?: number;
  /** The server's idle heartbeat; two missed replace the consumer (its server is gone). Default 2 s. */
  idleHeartbeatMs?: number;
  /** Where consumer creation retries and replacements are logged. */
  logger?: ConsumerLogger | undefined;
  /** Merged into every log line (e.g. `{ kind }`). */
  logContext?: object | undefined;
  /** Counts creation attempts and replacements (metrics). */
  observer?: ConsumerObserver | undefined;
}

/** One delivered event. */
export interface StreamedEvent {
  event: apiserverV1.WatchEvent;
  /** The event's resourceVersion. */
  revision: number;
  /** No event of the same etcd revision follows in the stream (under any subject). */
  revisionEnd: boolean;
  subject: string;
  streamSeq: number;
  /** The W3C trace context of the write that made the change, when it was traced. */
  traceparent?: string;
}

/**
 * Watch events matching a filter, in stream order (= revision order), each exactly once, across
 * NATS reconnects and server restarts. Iterate it once. Iteration throws ResyncRequiredError when
 * continuity is lost: events were discarded before delivery, the stream was recreated, or the
 * publisher announced a gap; the caller relists and opens a new stream.
 *
 * How a loss is seen, whatever the filter: a recreated ordered consumer must start where the stream
 * still holds messages, in the same stream (its creation time); when delivery jumps over stream
 * sequences, the stream must still have held the first skipped one (checked lazily, at most once per
 * `continuityCheckIntervalMs`: a filtered consumer skips other subjects' messages all the time, and
 * discards are oldest-first, so a later check proves an earlier skip); an unfiltered consumer's jump
 * is a loss by itself. A consumer whose filter cannot include the gap subject (nats-server < 2.10)
 * hears gap markers on a core subscription, and after a reconnect or a recreated consumer looks
 * for a marker it may have missed (the stream's last message on the gap subject).
 */
export interface EventStream extends AsyncIterable<StreamedEvent> {
  /** The stream sequence the consumer started at. */
  readonly startSeq: number;
  /** Stops delivery and deletes the consumer; the iteration ends without error. */
  close(): Promise<void>;
}

/**
 * Opens an event stream. The consumer exists on the server when the promise resolves, so a caller
 * may subscribe, then list, and miss nothing. Throws RevisionGoneError when `afterRevision` is set
 * and the stream no longer holds every event after it: with S the first message whose revision
 * exceeds R, history is complete after R only if S's `Kp-Prev-Revision` (the revision of the message
 * before S, or where the publisher's history began) is ≤ R; an emptied stream (everything aged out)
 * cannot prove anything and is Gone.
 */
export async function openEventStream(js: JetStreamClient, jsm: JetStreamManager, opts: EventStreamOptions): Promise<EventStream> {
  const { state, created } = await jsm.streams.info(KP_WATCH);
  const startSeq = opts.afterRevision === undefined ? state.last_seq + 1 : await findStartSeq(jsm, state, opts.afterRevision);
  const filters = withGapSubject(opts.filterSubjects, supportsMultipleFilters(jsm));
  const continuity: Continuity = {
    created,
    everything: filters.some(capturesEverything),
    seesGaps: filters.some((f) => capturesEverything(f) || f === GAP_SUBJECT),
  };
  // Subscribed before the consumer exists, so no marker published from now on goes unheard.
  const gapSubscription = continuity.seesGaps ? undefined : natsConnection(jsm)?.subscribe(GAP_SUBJECT);
  let consumer: OrderedConsumer;
  try {
    consumer = await OrderedConsumer.create(js, jsm, {
      stream: KP_WATCH,
      filterSubjects: filters,
      startSeq,
      signal: opts.signal,
      createDeadlineMs: opts.createDeadlineMs,
      idleHeartbeatMs: opts.idleHeartbeatMs,
      logger: opts.logger,
      logContext: opts.logContext,
      observer: opts.observer,
    });
  } catch (error) {
    gapSubscription?.unsubscribe();
    throw error;
  }
  const stream = new OrderedEventStream(jsm, consumer, startSeq, consumer.name, opts, continuity, gapSubscription);
  await stream.verifyInitial();
  return stream;
}

/** nats.js's direct-get API: on every JetStreamManager since nats-server 2.9, not yet in its exported interface. */
type DirectGet = { direct: { getMessage(stream: string, query: { last_by_subj: string }): Promise<{ seq: number }> } };

/** The first stream sequence holding an event with revision > `after`, or RevisionGoneError. */
async function findStartSeq(jsm: JetStreamManager, state: StreamState, after: number): Promise<number> {
  if (state.messages === 0) {
    if (state.last_seq === 0) return 1; // a new stream: nothing was ever discarded
    throw new RevisionGoneError(after, undefined);
  }
  const revisionAt = async (seq: number): Promise<number> => Number((await jsm.streams.getMessage(KP_WATCH, { seq })).header.get(REVISION_HEADER));
  let lo = state.first_seq;
  let hi = state.last_seq + 1; // invariant: rev(lo-1) <= after (or lo is first), rev(hi) > after (or hi is past the end)
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await revisionAt(mid)) > after) hi = mid;
    else lo = mid + 1;
  }
  if (lo > state.last_seq) return lo;
  const first = await jsm.streams.getMessage(KP_WATCH, { seq: lo });
  const prev = Number(first.header.get(PREV_REVISION_HEADER));
  if (prev > after) throw new RevisionGoneError(after, prev);
  return lo;
}

/**
 * The caller's filters plus the gap subject, unless a filter already captures everything or the
 * server predates multi-filter consumers (nats-server < 2.10): there a filtered stream does not see
 * gap markers and relies on its continuity checks alone.
 */
function withGapSubject(filters: string[], multiFilter: boolean): string[] {
  if (filters.length > 1 && !multiFilter) throw new Error("several filter subjects need nats-server 2.10 or later");
  if (!multiFilter || filters.some(capturesEverything)) return filters;
  return [...filters, GAP_SUBJECT];
}

/** Whether `filter` captures every subject of the stream. */
function capturesEverything(filter: string): boolean {
  return filter === ALL_SUBJECTS || filter === ">" || filter === "kp.>";
}

/** The connection behind a JetStreamManager (nats.js keeps it as `nc`). */
function natsConnection(jsm: JetStreamManager): NatsConnection | undefined {
  return (jsm as unknown as { nc?: NatsConnection }).nc;
}

/** Whether the server accepts `filter_subjects` (2.10+), from the version it announced on connect. */
function supportsMultipleFilters(jsm: JetStreamManager): boolean {
  const version = natsConnection(jsm)?.info?.version ?? "0.0.0";
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 2 || (major === 2 && minor >= 10);
}

/** What an event stream knows to tell a continuous history from a broken one. */
interface Continuity {
  /** The stream's creation time when the event stream opened: another value means it was recreated. */
  created: string;
  /** The filter captures the whole stream: every sequence is delivered, so any jump is a loss. */
  everything: boolean;
  /** The filter includes the gap subject: gap markers arrive as messages. */
  seesGaps: boolean;
}

const DEFAULT_CONTINUITY_CHECK_INTERVAL_MS = 1_000;

class OrderedEventStream implements EventStream {
  readonly #checks = new Map<string, Promise<ResyncRequiredError | undefined>>();
  #closed = false;
  /** Set once continuity is lost; the iteration throws it. */
  #failure: ResyncRequiredError | undefined;
  /** The stream sequence of the last message delivered (startSeq − 1 before any). */
  #lastSeq: number;
  /** The first sequence delivery jumped over since the last check; undefined when none is pending. */
  #unverifiedFrom: number | undefined;
  #checkTimer: NodeJS.Timeout | undefined;
  #checking = false;
  #lastCheckAt = 0;
  /** The connection's status feed while watching for reconnects; stopped on close. */
  #statusFeed: { stop(): void } | undefined;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly messages: OrderedConsumer,
    readonly startSeq: number,
    private readonly initialConsumer: string,
    private readonly opts: EventStreamOptions,
    private readonly continuity: Continuity,
    private readonly gapSubscription: Subscription | undefined,
  ) {
    this.#lastSeq = startSeq - 1;
    if (opts.signal.aborted) void this.close();
    opts.signal.addEventListener("abort", () => void this.close(), { once: true });
    // Each replacement consumer's continuity check starts as soon as it exists, before it delivers.
    messages.onRecreated((name, seq) => this.#checks.set(name, this.#verify(name, seq)));
    // Deleted under us (with its stream, most likely): check now rather than after a replacement.
    messages.onDeleted(() => {
      void this.#continuityFrom(this.#lastSeq + 1).then((error) => error && this.#fail(error));
    });
    if (gapSubscription) {
      void this.#watchGapMarkers(gapSubscription);
      void this.#watchReconnects();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#checkTimer);
    this.gapSubscription?.unsubscribe();
    this.#statusFeed?.stop();
    await this.messages.close();
  }

  /** The first consumer was created after `findStartSeq` looked: check nothing aged out in between. */
  async verifyInitial(): Promise<void> {
    const error = await this.#verify(this.initialConsumer, this.startSeq);
    if (error) {
      await this.close();
      throw error;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamedEvent> {
    const after = this.opts.afterRevision;
    try {
      for await (const m of this.messages) {
        if (this.#failure) throw this.#failure;
        if (m.info.deliverySequence === 1 && m.info.consumer !== this.initialConsumer) {
          const error = await (this.#checks.get(m.info.consumer) ?? this.#verify(m.info.consumer));
          if (error) throw error;
        }
        this.#noteSequence(m.seq);
        // Written before resourceVersions: its bare etcd revision cannot be ordered with ours.
        if (m.headers?.get(FORMAT_HEADER) !== FORMAT_RV128) throw new ResyncRequiredError(`stream sequence ${m.seq} predates resourceVersions (no ${FORMAT_HEADER} header)`);
        const revision = Number(m.headers?.get(REVISION_HEADER));
        if (after !== undefined && revision <= after) continue;
        if (m.subject === GAP_SUBJECT) throw new ResyncRequiredError(`the publisher skipped events up to revision ${revision}`);
        const traceparent = m.headers?.get(TRACEPARENT_HEADER);
        const revisionEnd = m.headers?.get(REVISION_END_HEADER) === "1";
        yield { event: apiserverV1.WatchEvent.decode(m.data), revision, revisionEnd, subject: m.subject, streamSeq: m.seq, ...(traceparent ? { traceparent } : {}) };
      }
    } catch (error) {
      if (this.#closed && !this.#failure) return;
      await this.close();
      if (error instanceof ResyncRequiredError) throw error;
      throw new ResyncRequiredError("the event stream failed", { cause: error });
    } finally {
      await this.close();
    }
    if (this.#failure) throw this.#failure;
    if (!this.#closed) throw new ResyncRequiredError("the event stream ended");
  }

  /** Continuity is lost: end the iteration with `error` (the first one wins). */
  #fail(error: ResyncRequiredError): void {
    if (this.#closed) return;
    this.#failure ??= error;
    void this.close();
  }

  /** Records a delivered sequence; a jump over undelivered sequences is checked (or, unfiltered, is a loss). */
  #noteSequence(seq: number): void {
    const expected = this.#lastSeq + 1;
    this.#lastSeq = Math.max(this.#lastSeq, seq);
    if (seq <= expected) return;
    if (this.continuity.everything) throw new ResyncRequiredError(`stream sequences ${expected}–${seq - 1} were discarded before delivery`);
    this.#unverifiedFrom ??= expected;
    this.#scheduleCheck();
  }

  /** Runs one continuity check soon, at most one at a time and one per interval. */
  #scheduleCheck(): void {
    if (this.#checkTimer || this.#checking || this.#closed) return;
    const interval = this.opts.continuityCheckIntervalMs ?? DEFAULT_CONTINUITY_CHECK_INTERVAL_MS;
    const delay = Math.max(0, this.#lastCheckAt + interval - Date.now());
    this.#checkTimer = setTimeout(() => {
      this.#checkTimer = undefined;
      void this.#checkJumps();
    }, delay);
  }

  /**
   * Whether the stream still holds the first sequence delivery jumped over: discards are
   * oldest-first, so if it is still there now, every skipped message existed when it was skipped
   * (it did not match the filter).
   */
  async #checkJumps(): Promise<void> {
    const from = this.#unverifiedFrom;
    if (from === undefined || this.#closed) return;
    this.#unverifiedFrom = undefined;
    this.#checking = true;
    this.#lastCheckAt = Date.now();
    try {
      const error = await this.#continuityFrom(from);
      if (error) this.#fail(error);
    } finally {
      this.#checking = false;
    }
    if (this.#unverifiedFrom !== undefined) this.#scheduleCheck();
  }

  /**
   * A gap marker published while this stream is open, on a server where the filter cannot include
   * it. Should the subscription be refused (NATS permissions without the gap subject), the stream
   * polls for markers instead, every ten continuity-check intervals.
   */
  async #watchGapMarkers(subscription: Subscription): Promise<void> {
    try {
      for await (const m of subscription) {
        this.#fail(new ResyncRequiredError(`the publisher skipped events up to revision ${m.headers?.get(REVISION_HEADER) ?? "?"}`));
      }
    } catch {
      const every = 10 * (this.opts.continuityCheckIntervalMs ?? DEFAULT_CONTINUITY_CHECK_INTERVAL_MS);
      while (!this.#closed) {
        await new Promise((resolve) => setTimeout(resolve, every));
        if (this.#closed) return;
        const marker = await this.#lastGapMarker().catch(() => undefined);
        if (marker !== undefined && marker >= this.startSeq) this.#fail(new ResyncRequiredError(`the publisher announced a gap at stream sequence ${marker}`));
      }
    }
  }

  /** After a reconnect, markers published while disconnected were not heard: look for one in the stream. */
  async #watchReconnects(): Promise<void> {
    const nc = natsConnection(this.jsm);
    if (!nc || this.#closed) return;
    const feed = nc.status() as AsyncIterable<Status> & { stop(): void };
    this.#statusFeed = feed;
    try {
      for await (const status of feed) {
        if (this.#closed) return;
        if (status.type !== "reconnect") continue;
        const error = await this.#continuityFrom(this.#lastSeq + 1);
        if (error) this.#fail(error);
      }
    } catch {
      // The feed ends with the connection; the message loop reports failures.
    }
  }

  /** Whether a consumer starting at `startSeq` (default: the consumer's own start) continues the history. */
  async #verify(consumer: string, startSeq?: number): Promise<ResyncRequiredError | undefined> {
    try {
      const start = startSeq ?? (await this.jsm.consumers.info(KP_WATCH, consumer)).config.opt_start_seq ?? 1;
      return await this.#continuityFrom(start);
    } catch (error) {
      return new ResyncRequiredError(`cannot verify continuity of consumer ${consumer}`, { cause: error });
    }
  }

  /**
   * Whether delivery from stream sequence `from` on continues the history without a hole: the
   * stream is the one this event stream opened (same creation time, not shorter than `from`), still
   * holds `from` (nothing discarded before delivery; an emptied stream holds nothing), and, when the
   * filter cannot see gap markers, has no marker at or after `startSeq`.
   */
  async #continuityFrom(from: number): Promise<ResyncRequiredError | undefined> {
    try {
      const { state, created } = await this.jsm.streams.info(KP_WATCH);
      if (created !== this.continuity.created) return new ResyncRequiredError(`stream ${KP_WATCH} was recreated (created ${created}, was ${this.continuity.created})`);
      if (from > state.last_seq + 1) return new ResyncRequiredError(`stream ${KP_WATCH} was recreated (last sequence ${state.last_seq} < ${from - 1})`);
      if (state.first_seq > from) {
        return new ResyncRequiredError(`events from stream sequence ${from} were discarded before delivery (stream starts at ${state.first_seq})`);
      }
      if (!this.continuity.seesGaps) {
        const marker = await this.#lastGapMarker();
        if (marker !== undefined && marker >= this.startSeq) return new ResyncRequiredError(`the publisher announced a gap at stream sequence ${marker}`);
      }
      return undefined;
    } catch (error) {
      return new ResyncRequiredError(`cannot verify continuity of the event stream from sequence ${from}`, { cause: error });
    }
  }

  /** The stream sequence of the last gap marker the stream holds, if any. */
  async #lastGapMarker(): Promise<number | undefined> {
    try {
      // A direct get by subject: the one message lookup a reader's or node's NATS user may make.
      return (await (this.jsm as unknown as DirectGet).direct.getMessage(KP_WATCH, { last_by_subj: GAP_SUBJECT })).seq;
    } catch (error) {
      if (/no message found|not found/i.test(String((error as Error).message))) return undefined;
      throw error;
    }
  }
}
