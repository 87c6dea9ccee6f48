// Keeps a bounded window of watch messages in flight to JetStream, each stored only after its predecessor.
import { headers, type JetStreamClient } from "nats";
import { FORMAT_HEADER, FORMAT_RV128, PREV_REVISION_HEADER, REVISION_END_HEADER, REVISION_HEADER, TRACEPARENT_HEADER, TYPE_HEADER, type OutgoingMessage } from "./event-messages.js";

/**
 * What the stream must end with for a message to be stored: its predecessor's `Nats-Msg-Id`, or,
 * for the first message of a window, the stream's last sequence (JetStream 2.9 forgets the last
 * msg id on restart once it is older than the duplicate window; the last sequence it never forgets).
 */
export type Predecessor = { lastMsgID: string } | { lastSequence: number };

/** Options of `PublishWindow`. */
export interface PublishWindowOptions {
  js: JetStreamClient;
  /** At most this many messages without a PubAck. */
  maxInFlight: number;
  /** PubAck timeout, in ms. */
  timeoutMs: number;
  /** The predecessor the first message expects. */
  first: Predecessor;
  /** `Kp-Prev-Revision` of the first message (a resourceVersion). */
  prevRevision: number;
  /** Called once, with the first message (in publishing order) whose publish failed. */
  onFailure: (error: unknown, message: OutgoingMessage) => void;
}

interface Entry {
  message: OutgoingMessage;
  settled: boolean;
  error?: unknown;
  /** Run once this entry and every entry before it are acknowledged. */
  completions: (() => void)[];
}

/**
 * A pipeline of publishes whose order JetStream enforces: every message carries
 * `Nats-Expected-Last-Msg-Id` = the previous message's id, so the server refuses a message unless
 * its predecessor is the stream's last one (a duplicate is acknowledged before that check, so a
 * replay never wedges). The stream therefore only ever grows by a prefix of what was published here.
 * PubAcks are consumed in publishing order; the first failure ends the window for good (later
 * messages are forgotten: each of them either failed too or was stored in order after it) and the
 * owner starts a new window from the stream's tail. Single producer; not reusable after a failure.
 */
export class PublishWindow {
  readonly #opts: PublishWindowOptions;
  readonly #entries: Entry[] = [];
  #head = 0;
  #predecessor: Predecessor;
  #prevRevision: number;
  #failed = false;
  #acknowledged = 0;
  #waiters: (() => void)[] = [];

  constructor(opts: PublishWindowOptions) {
    this.#opts = opts;
    this.#predecessor = opts.first;
    this.#prevRevision = opts.prevRevision;
  }

  /** True once a publish failed; nothing more is published or completed. */
  get failed(): boolean {
    return this.#failed;
  }

  /** How many messages were acknowledged (duplicates included). */
  get acknowledged(): number {
    return this.#acknowledged;
  }

  /** The resourceVersion of the last message handed to `publish` (or the initial `prevRevision`). */
  get prevRevision(): number {
    return this.#prevRevision;
  }

  /** Resolves true when another message may be published, false once the window failed. */
  async ready(): Promise<boolean> {
    while (!this.#failed && this.#inFlight() >= this.#opts.maxInFlight) await this.#changed();
    return !this.#failed;
  }

  /** Resolves true once every published message is acknowledged, false once the window failed. */
  async idle(): Promise<boolean> {
    while (!this.#failed && this.#inFlight() > 0) await this.#changed();
    return !this.#failed;
  }

  /** Publishes `message` after the previous one without waiting; call `ready()` first to stay in bounds. */
  publish(message: OutgoingMessage): void {
    if (this.#failed) return;
    const { js, timeoutMs } = this.#opts;
    const h = headers();
    h.set(REVISION_HEADER, String(message.revision));
    h.set(TYPE_HEADER, message.type);
    h.set(PREV_REVISION_HEADER, String(this.#prevRevision));
    h.set(FORMAT_HEADER, FORMAT_RV128);
    if (message.revisionEnd) h.set(REVISION_END_HEADER, "1");
    if (message.traceparent) h.set(TRACEPARENT_HEADER, message.traceparent);
    const entry: Entry = { message, settled: false, completions: [] };
    this.#entries.push(entry);
    const expect = this.#predecessor;
    this.#predecessor = { lastMsgID: message.msgId };
    this.#prevRevision = message.revision;
    js.publish(message.subject, message.payload, { msgID: message.msgId, headers: h, timeout: timeoutMs, expect }).then(
      () => this.#settle(entry),
      (error: unknown) => this.#settle(entry, error ?? new Error("publish failed")),
    );
  }

  /** Runs `fn` once every message published so far is acknowledged (now, if none is in flight); never after a failure. */
  complete(fn: () => void): void {
    if (this.#failed) return;
    if (this.#inFlight() === 0) fn();
    else this.#entries.at(-1)!.completions.push(fn);
  }

  #inFlight(): number {
    return this.#entries.length - this.#head;
  }

  #settle(entry: Entry, error?: unknown): void {
    entry.settled = true;
    entry.error = error;
    if (this.#failed) return;
    while (this.#head < this.#entries.length && this.#entries[this.#head]!.settled) {
      const head = this.#entries[this.#head]!;
      if (head.error !== undefined) {
        this.#failed = true;
        this.#entries.length = 0;
        this.#head = 0;
        this.#opts.onFailure(head.error, head.message);
        break;
      }
      this.#head++;
      this.#acknowledged++;
      for (const fn of head.completions) fn();
    }
    if (this.#head === this.#entries.length) {
      this.#entries.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries.splice(0, this.#head);
      this.#head = 0;
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
