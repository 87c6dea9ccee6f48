// Keeps a bounded window of watch messages in flight to JetStream, each stored only after its predecessor.
import { createInbox, headers, type JetStreamClient, type Msg, type NatsConnection, type Subscription } from "nats";
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
  /** When its PubAck is overdue (performance.now() ms; the direct path only). */
  deadline: number;
}

/** PubAcks of the direct path: one inbox subscription for the window, the reply subject `<inbox>.<n>` per message. */
interface AckInbox {
  nc: NatsConnection;
  prefix: string;
  subscription: Subscription;
  next: number;
  pending: Map<string, Entry>;
}

/**
 * The core connection under nats.js's JetStreamClient (2.x keeps it as `nc`) and the inbox prefix it was
 * connected with (replies must stay under the user's permitted inbox), or undefined when that shape is not there.
 */
function coreConnection(js: JetStreamClient): { nc: NatsConnection; inboxPrefix: string | undefined } | undefined {
  const nc = (js as unknown as { nc?: NatsConnection & { options?: { inboxPrefix?: string } } }).nc;
  if (!nc || typeof nc.publish !== "function" || typeof nc.subscribe !== "function") return undefined;
  return { nc, inboxPrefix: nc.options?.inboxPrefix };
}

/** The error of a PubAck, or undefined when it acknowledges a stored (or duplicate) message. */
function pubAckError(msg: Msg): Error | undefined {
  if (msg.headers?.hasError) return new Error(`JetStream publish failed: ${msg.headers.code} ${msg.headers.description}`);
  let ack: { stream?: string; error?: { code?: number; err_code?: number; description?: string } };
  try {
    ack = JSON.parse(Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength).toString()) as typeof ack;
  } catch {
    return new Error("JetStream publish failed: the PubAck is not JSON");
  }
  if (ack.error) return new Error(`JetStream publish failed: ${ack.error.description ?? "error"} (${ack.error.err_code ?? ack.error.code ?? "?"})`);
  if (!ack.stream) return new Error("JetStream publish failed: the PubAck names no stream");
  return undefined;
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
  #inbox: AckInbox | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: PublishWindowOptions) {
    this.#opts = opts;
    this.#predecessor = opts.first;
    this.#prevRevision = opts.prevRevision;
    // Direct path: a plain publish with a reply subject on the window's inbox, one timer for the window —
    // nats.js's js.publish is a request per message (its own timer, promise and a NatsError made when
    // it cancels the finished request): ~5 % of a pod write's apiserver CPU.
    const core = coreConnection(opts.js);
    if (core && !core.nc.isClosed()) {
      const prefix = createInbox(core.inboxPrefix);
      const pending = new Map<string, Entry>();
      const subscription = core.nc.subscribe(`${prefix}.*`, {
        callback: (err, msg) => {
          if (err) return this.#failAll(err);
          const entry = pending.get(msg.subject);
          if (!entry) return;
          pending.delete(msg.subject);
          this.#settle(entry, pubAckError(msg));
        },
      });
      this.#inbox = { nc: core.nc, prefix, subscription, next: 0, pending };
    }
  }

  /** Ends the window's PubAck subscription and timer, failing what is still in flight; call once done with the window (the publisher does when a pass ends). */
  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const inbox = this.#inbox;
    this.#inbox = undefined;
    if (inbox) {
      inbox.subscription.unsubscribe();
      if (inbox.pending.size > 0) this.#failAll(new Error("the publish window was closed with messages in flight"), [...inbox.pending.values()]);
    }
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
    const entry: Entry = { message, settled: false, completions: [], deadline: performance.now() + timeoutMs };
    this.#entries.push(entry);
    const expect = this.#predecessor;
    this.#predecessor = { lastMsgID: message.msgId };
    this.#prevRevision = message.revision;
    const inbox = this.#inbox;
    if (!inbox) {
      js.publish(message.subject, message.payload, { msgID: message.msgId, headers: h, timeout: timeoutMs, expect }).then(
        () => this.#settle(entry),
        (error: unknown) => this.#settle(entry, error ?? new Error("publish failed")),
      );
      return;
    }
    // The headers js.publish would add.
    h.set("Nats-Msg-Id", message.msgId);
    if (!("lastMsgID" in expect)) h.set("Nats-Expected-Last-Sequence", String(expect.lastSequence));
    else if (expect.lastMsgID) h.set("Nats-Expected-Last-Msg-Id", expect.lastMsgID);
    const reply = `${inbox.prefix}.${inbox.next++}`;
    inbox.pending.set(reply, entry);
    try {
      inbox.nc.publish(message.subject, message.payload, { reply, headers: h });
    } catch (error) {
      inbox.pending.delete(reply);
      this.#settle(entry, error);
      return;
    }
    this.#armTimer();
  }

  /** Runs while PubAcks are outstanding: the oldest one overdue fails the window (as a request's timeout did). */
  #armTimer(): void {
    if (this.#timer || this.#failed) return;
    const head = this.#entries[this.#head];
    if (!head) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const oldest = this.#entries[this.#head];
      if (!oldest || this.#failed) return;
      if (!oldest.settled && performance.now() >= oldest.deadline) {
        this.#inbox?.pending.forEach((e, reply) => e === oldest && this.#inbox?.pending.delete(reply));
        this.#settle(oldest, new Error(`JetStream publish of ${oldest.message.msgId} timed out after ${this.#opts.timeoutMs} ms`));
        return;
      }
      this.#armTimer();
    }, Math.max(1, head.deadline - performance.now()));
    this.#timer.unref?.();
  }

  /** Settles every entry still in flight with `error` (the subscription failed or the window closed). */
  #failAll(error: unknown, entries: Entry[] = [...(this.#inbox?.pending.values() ?? [])]): void {
    this.#inbox?.pending.clear();
    for (const e of entries) if (!e.settled) this.#settle(e, error);
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
    if (this.#failed || this.#head === this.#entries.length) {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
