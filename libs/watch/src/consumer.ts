// Reads watch events from the stream in revision order through an ordered consumer, resumable by revision.
import { apiserverV1 } from "@kubeplane/api";
import { ConsumerEvents, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type NatsConnection, type StreamState } from "nats";
import { ResyncRequiredError, RevisionGoneError } from "./errors.js";
import { PREV_REVISION_HEADER, REVISION_HEADER } from "./event-messages.js";
import { ALL_SUBJECTS, GAP_SUBJECT, KP_WATCH } from "./subjects.js";

/** Options of `openEventStream`. */
export interface EventStreamOptions {
  /** Subject filters (see `resourceFilter`, `nodeFilter`); must not overlap one another. */
  filterSubjects: string[];
  /**
   * Deliver the events with revision > this (e.g. the revision a List returned). Undefined:
   * deliver only events published from the call on.
   */
  afterRevision?: number;
  /** Aborting ends the iteration (without error) and deletes the consumer. */
  signal: AbortSignal;
}

/** One delivered event. */
export interface StreamedEvent {
  event: apiserverV1.WatchEvent;
  revision: number;
  subject: string;
  streamSeq: number;
}

/**
 * Watch events matching a filter, in stream order (= revision order), each exactly once, across
 * NATS reconnects and server restarts. Iterate it once. Iteration throws ResyncRequiredError when
 * continuity is lost: events were discarded before delivery, the stream was recreated, or the
 * publisher announced a gap; the caller relists and opens a new stream.
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
  const { state } = await jsm.streams.info(KP_WATCH);
  const startSeq = opts.afterRevision === undefined ? state.last_seq + 1 : await findStartSeq(jsm, state, opts.afterRevision);
  const filters = withGapSubject(opts.filterSubjects, supportsMultipleFilters(jsm));
  const consumer = await js.consumers.get(KP_WATCH, { filterSubjects: filters.length === 1 ? filters[0]! : filters, opt_start_seq: startSeq });
  const messages = await consumer.consume({ max_messages: 256 });
  const initial = await consumer.info(true);
  const stream = new OrderedEventStream(jsm, messages, startSeq, initial.name, opts);
  await stream.verifyInitial();
  return stream;
}

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
  if (!multiFilter || filters.some((f) => f === ALL_SUBJECTS || f === ">" || f === "kp.>")) return filters;
  return [...filters, GAP_SUBJECT];
}

/** Whether the server accepts `filter_subjects` (2.10+), from the version it announced on connect. */
function supportsMultipleFilters(jsm: JetStreamManager): boolean {
  const version = (jsm as unknown as { nc?: NatsConnection }).nc?.info?.version ?? "0.0.0";
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 2 || (major === 2 && minor >= 10);
}

class OrderedEventStream implements EventStream {
  readonly #checks = new Map<string, Promise<ResyncRequiredError | undefined>>();
  #closed = false;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly messages: ConsumerMessages,
    readonly startSeq: number,
    private readonly initialConsumer: string,
    private readonly opts: EventStreamOptions,
  ) {
    if (opts.signal.aborted) void this.close();
    opts.signal.addEventListener("abort", () => void this.close(), { once: true });
    void this.#watchRecreations();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
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
        if (m.info.deliverySequence === 1 && m.info.consumer !== this.initialConsumer) {
          const error = await (this.#checks.get(m.info.consumer) ?? this.#verify(m.info.consumer));
          if (error) throw error;
        }
        const revision = Number(m.headers?.get(REVISION_HEADER));
        if (after !== undefined && revision <= after) continue;
        if (m.subject === GAP_SUBJECT) throw new ResyncRequiredError(`the publisher skipped events up to revision ${revision}`);
        yield { event: apiserverV1.WatchEvent.decode(m.data), revision, subject: m.subject, streamSeq: m.seq };
      }
    } catch (error) {
      if (this.#closed) return;
      await this.close();
      if (error instanceof ResyncRequiredError) throw error;
      throw new ResyncRequiredError("the event stream failed", { cause: error });
    } finally {
      await this.close();
    }
    if (!this.#closed) throw new ResyncRequiredError("the event stream ended");
  }

  /** Starts each recreated consumer's continuity check as soon as it exists, before it delivers. */
  async #watchRecreations(): Promise<void> {
    try {
      for await (const status of await this.messages.status()) {
        if (status.type === ConsumerEvents.OrderedConsumerRecreated && typeof status.data === "string") {
          this.#checks.set(status.data, this.#verify(status.data));
        }
      }
    } catch {
      // The status feed ends with the messages; the message loop reports failures.
    }
  }

  /**
   * Whether a consumer starting at `startSeq` continues the history without a hole: the stream
   * must still hold `startSeq` (nothing discarded before delivery) and must not be shorter than
   * it (a recreated stream renumbers from 1).
   */
  async #verify(consumer: string, startSeq?: number): Promise<ResyncRequiredError | undefined> {
    try {
      const start = startSeq ?? (await this.jsm.consumers.info(KP_WATCH, consumer)).config.opt_start_seq ?? 1;
      const { state } = await this.jsm.streams.info(KP_WATCH);
      if (state.first_seq > start && state.messages > 0) {
        return new ResyncRequiredError(`events from stream sequence ${start} were discarded before delivery (stream starts at ${state.first_seq})`);
      }
      if (start > state.last_seq + 1) return new ResyncRequiredError(`stream ${KP_WATCH} was recreated (last sequence ${state.last_seq} < ${start - 1})`);
      return undefined;
    } catch (error) {
      return new ResyncRequiredError(`cannot verify continuity of consumer ${consumer}`, { cause: error });
    }
  }
}
