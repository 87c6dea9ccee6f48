// An ordered consumer whose every creation is bounded: each attempt under a fresh name, retried with back-off until a deadline, then a named error.
import { AckPolicy, ConsumerEvents, DeliverPolicy, nanos, nuid, type ConsumerConfig, type ConsumerInfo, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg, type NatsConnection } from "nats";
import { ConsumerCreateError } from "./errors.js";
import { abortableDelay } from "./abortable-delay.js";

/** The consumer's logger: pino-compatible. */
export interface ConsumerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** What an ordered consumer reports for metrics. Called synchronously; must not throw. */
export interface ConsumerObserver {
  /**
   * One creation attempt ended: `created`, `timeout` (no answer within the JetStream API timeout —
   * the server it was placed on is gone, or JetStream is electing a leader) or `error` (refused).
   */
  creationAttempt?(result: "created" | "timeout" | "error", durationMs: number): void;
  /** The consumer was replaced mid-stream, and why (`heartbeats-missed`, `delivery-gap`, `deleted`, `failed`). */
  recreated?(reason: RecreateReason): void;
}

export type RecreateReason = "heartbeats-missed" | "delivery-gap" | "deleted" | "failed";

/** Options of `OrderedConsumer.create`. */
export interface OrderedConsumerOptions {
  stream: string;
  /** One subject or several (nats-server 2.10+). */
  filterSubjects: string[];
  /** The first stream sequence to deliver. */
  startSeq: number;
  /** Give up creating (first or replacement) after this long: ConsumerCreateError. Default 30 s. */
  createDeadlineMs?: number;
  /**
   * How long one creation attempt waits for JetStream's answer: 1 s for the first, 1 s more for each
   * next one, up to 5 s (a healthy create takes milliseconds, a busy server's may take longer; one
   * placed on a lost server is never answered).
   */
  attemptTimeoutMs?: number;
  /** The server's idle heartbeat; two missed ones replace the consumer. Default 2 s. */
  idleHeartbeatMs?: number;
  /** Pull request expiry. Default 10 s. */
  expiresMs?: number;
  /** Messages pulled ahead. Default 256. */
  maxMessages?: number;
  /** Aborting stops creation attempts (they reject with the abort reason). */
  signal: AbortSignal;
  logger?: ConsumerLogger | undefined;
  /** Merged into every log line (e.g. the informer's kind). */
  logContext?: object | undefined;
  observer?: ConsumerObserver | undefined;
}

const DEFAULT_CREATE_DEADLINE_MS = 30_000;
const DEFAULT_IDLE_HEARTBEAT_MS = 2_000;
const DEFAULT_EXPIRES_MS = 10_000;
const MAX_RETRY_DELAY_MS = 2_000;
const FIRST_ATTEMPT_TIMEOUT_MS = 1_000;
const MAX_ATTEMPT_TIMEOUT_MS = 5_000;
const MIN_ATTEMPT_TIMEOUT_MS = 500;

/**
 * Creates a consumer, bounded. JetStream places an R1 consumer of a replicated stream on one of the
 * stream's peers, a lost one included until the cluster notices; such a create is never answered
 * (TIMEOUT) and, retried under the same name, lands on the same lost peer again. So each attempt
 * gets a fresh name (the unanswered one is deleted, best effort), and attempts stop at the deadline
 * with ConsumerCreateError naming the last failure. Stream-not-found is not retried.
 */
export async function createConsumer(jsm: JetStreamManager, config: Partial<ConsumerConfig>, opts: Pick<OrderedConsumerOptions, "stream" | "createDeadlineMs" | "attemptTimeoutMs" | "signal" | "logger" | "logContext" | "observer">): Promise<ConsumerInfo> {
  const deadline = Date.now() + (opts.createDeadlineMs ?? DEFAULT_CREATE_DEADLINE_MS);
  for (let attempt = 1; ; attempt++) {
    opts.signal.throwIfAborted();
    const name = `kpw_${nuid.next()}`;
    const started = Date.now();
    // Never past the deadline (but long enough for an answer from a busy server).
    const timeout = Math.max(MIN_ATTEMPT_TIMEOUT_MS, Math.min(opts.attemptTimeoutMs ?? Math.min(MAX_ATTEMPT_TIMEOUT_MS, FIRST_ATTEMPT_TIMEOUT_MS * attempt), deadline - started));
    try {
      const info = await (await withTimeout(jsm, timeout)).consumers.add(opts.stream, { ...config, name });
      opts.observer?.creationAttempt?.("created", Date.now() - started);
      if (attempt > 1) opts.logger?.info({ ...opts.logContext, consumer: name, attempts: attempt }, "watch consumer created after retries");
      return info;
    } catch (error) {
      const timedOut = isTimeout(error);
      opts.observer?.creationAttempt?.(timedOut ? "timeout" : "error", Date.now() - started);
      // An unanswered create may still have been placed (on a lost server): drop it, never reuse its name.
      if (timedOut) jsm.consumers.delete(opts.stream, name).catch(() => undefined);
      opts.signal.throwIfAborted();
      const message = (error as Error).message;
      if (/stream not found/i.test(message)) throw new ConsumerCreateError(`cannot create a consumer on stream ${opts.stream}: ${message}`, attempt, { cause: error });
      const wait = Math.min(MAX_RETRY_DELAY_MS, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      if (Date.now() + wait >= deadline) {
        opts.logger?.warn({ ...opts.logContext, attempts: attempt, err: message }, "watch consumer creation gave up at its deadline");
        throw new ConsumerCreateError(`no consumer on stream ${opts.stream} after ${attempt} attempts in ${Date.now() - deadline + (opts.createDeadlineMs ?? DEFAULT_CREATE_DEADLINE_MS)} ms: ${message}`, attempt, { cause: error });
      }
      opts.logger?.warn({ ...opts.logContext, attempt, err: message, retryInMs: Math.round(wait) }, timedOut ? "watch consumer creation timed out (a lost NATS server?); retrying under a new name" : "watch consumer creation failed; retrying");
      await abortableDelay(wait, opts.signal);
    }
  }
}

/**
 * Messages of a stream in sequence order, each once, through a chain of ephemeral pull consumers
 * (ack none, memory, R1). Replaces nats.js's ordered consumer, whose creation retries under one
 * name every 15–45 s, 30 times, silently (see docs/deployment.md). A consumer is replaced, from the
 * sequence after the last delivered one, when two heartbeats are missed (its server is gone), its
 * delivery sequence skips, it is deleted, or its pull fails; each replacement is bounded as
 * `createConsumer`, and when it fails the iteration throws ConsumerCreateError. Iterate once.
 */
export class OrderedConsumer implements AsyncIterable<JsMsg> {
  #current: { info: ConsumerInfo; messages: ConsumerMessages } | undefined;
  #closed = false;
  /** The stream sequence of the last message delivered. */
  #lastSeq: number;
  readonly #listeners: Array<(name: string, startSeq: number) => void> = [];
  readonly #deletedListeners: Array<() => void> = [];

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly opts: OrderedConsumerOptions,
  ) {
    this.#lastSeq = opts.startSeq - 1;
  }

  /** Creates the first consumer (bounded, see `createConsumer`) and starts pulling. */
  static async create(js: JetStreamClient, jsm: JetStreamManager, opts: OrderedConsumerOptions): Promise<OrderedConsumer> {
    const consumer = new OrderedConsumer(js, jsm, opts);
    await consumer.#start();
    return consumer;
  }

  /** The current consumer's name. */
  get name(): string {
    return this.#current?.info.name ?? "";
  }

  /** Calls `fn` with each replacement consumer's name and first stream sequence once it exists, before it delivers. */
  onRecreated(fn: (name: string, startSeq: number) => void): void {
    this.#listeners.push(fn);
  }

  /** Calls `fn` when the server says the current consumer was deleted (before it is replaced). */
  onDeleted(fn: () => void): void {
    this.#deletedListeners.push(fn);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#retire();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<JsMsg> {
    while (!this.#closed) {
      const current = this.#current;
      if (!current) return;
      let reason: RecreateReason | undefined;
      let delivered = 0;
      const stop = (why: RecreateReason): void => {
        reason ??= why;
        current.messages.stop();
      };
      void this.#watchStatus(current.messages, stop);
      try {
        for await (const m of current.messages) {
          if (m.info.deliverySequence !== delivered + 1) {
            stop("delivery-gap");
            break;
          }
          delivered++;
          this.#lastSeq = m.seq;
          yield m;
          if (this.#closed) return;
        }
      } catch (error) {
        if (this.#closed) return;
        reason ??= "failed";
        this.opts.logger?.warn({ ...this.opts.logContext, consumer: current.info.name, err: (error as Error).message }, "watch consumer failed; replacing it");
      }
      if (this.#closed) return;
      reason ??= "failed";
      this.opts.observer?.recreated?.(reason);
      this.opts.logger?.info({ ...this.opts.logContext, consumer: current.info.name, reason, fromSeq: this.#lastSeq + 1 }, "replacing the watch consumer");
      await this.#retire();
      const from = this.#lastSeq + 1;
      await this.#start();
      if (this.#closed) return;
      for (const fn of this.#listeners) fn(this.#current!.info.name, from);
    }
  }

  /** Creates a consumer from the sequence after the last delivered one, and pulls from it. */
  async #start(): Promise<void> {
    const filters = this.opts.filterSubjects;
    const config: Partial<ConsumerConfig> = {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(1, this.#lastSeq + 1),
      ack_policy: AckPolicy.None,
      max_deliver: 1,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: nanos(5 * 60_000),
      ...(filters.length === 1 ? { filter_subject: filters[0]! } : { filter_subjects: filters }),
    };
    const info = await createConsumer(this.jsm, config, this.opts);
    if (this.#closed) {
      this.jsm.consumers.delete(this.opts.stream, info.name).catch(() => undefined);
      return;
    }
    const messages = await this.js.consumers.getPullConsumerFor(info).consume({
      max_messages: this.opts.maxMessages ?? 256,
      expires: this.opts.expiresMs ?? DEFAULT_EXPIRES_MS,
      idle_heartbeat: this.opts.idleHeartbeatMs ?? DEFAULT_IDLE_HEARTBEAT_MS,
      // No consumer info requests on missed heartbeats: they would time out against a lost server too.
      bind: true,
    });
    this.#current = { info, messages };
  }

  /** Stops pulling from the current consumer and deletes it (best effort: its server may be gone). */
  async #retire(): Promise<void> {
    const current = this.#current;
    if (!current) return;
    current.messages.stop();
    this.jsm.consumers.delete(this.opts.stream, current.info.name).catch(() => undefined);
  }

  /** Ends the current consumer's messages on missed heartbeats, deletion or no responders. */
  async #watchStatus(messages: ConsumerMessages, stop: (why: RecreateReason) => void): Promise<void> {
    try {
      for await (const status of await messages.status()) {
        if (status.type === ConsumerEvents.HeartbeatsMissed) stop("heartbeats-missed");
        else if (status.type === ConsumerEvents.ConsumerDeleted) {
          for (const fn of this.#deletedListeners) fn();
          stop("deleted");
        } else if (status.type === ConsumerEvents.NoResponders) stop("failed");
      }
    } catch {
      // The status feed ends with the messages.
    }
  }
}

/** A manager on the same connection and API prefix whose requests time out after `ms`. */
async function withTimeout(jsm: JetStreamManager, ms: number): Promise<JetStreamManager> {
  const nc = (jsm as unknown as { nc?: NatsConnection }).nc;
  if (!nc) return jsm;
  return nc.jetstreamManager({ ...jsm.getOptions(), timeout: ms, checkAPI: false });
}

function isTimeout(error: unknown): boolean {
  return (error as { code?: string }).code === "TIMEOUT" || /timeout/i.test(String((error as Error).message));
}

