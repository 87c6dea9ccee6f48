// The seats of API Priority and Fairness: per priority level, fair queues of flows (shuffle sharding, round robin), borrowing, timeouts.
import { createHash } from "node:crypto";
import type { PriorityLevelSpec } from "./priority-levels.js";

/** Why a request got no seat; the `reason` label of apiserver_flowcontrol_rejected_requests_total. */
export type RejectReason = "queue-full" | "concurrency-limit" | "time-out" | "cancelled";

/** Thrown (as a rejected promise) by `acquire` when a request gets no seat. */
export class RequestRejectedError extends Error {
  override readonly name = "RequestRejectedError";
  readonly code = "EREJECTED";
  constructor(
    readonly reason: RejectReason,
    readonly priorityLevel: string,
  ) {
    super(`request rejected by priority level ${priorityLevel}: ${reason}`);
  }
}

/** What the dispatcher reports; implemented with Prometheus metrics in metrics.ts. */
export interface FlowObserver {
  queued(level: string, schema: string, delta: number): void;
  executing(level: string, schema: string, delta: number): void;
  waited(level: string, schema: string, seconds: number, executed: boolean): void;
  rejected(level: string, schema: string, reason: RejectReason): void;
}

/** Releases a seat; calling it more than once releases once. */
export type Release = () => void;

interface Waiter {
  schema: string;
  grant(release: Release): void;
  refuse(reason: RejectReason): void;
}

class Level {
  readonly nominal: number;
  /** Seats never lent out: the nominal seats less the lendable share. */
  readonly guaranteed: number;
  executing = 0;
  waiting = 0;
  readonly queues: Waiter[][];
  next = 0;

  constructor(
    readonly spec: PriorityLevelSpec,
    serverLimit: number,
    totalShares: number,
  ) {
    this.nominal = Math.max(1, Math.ceil((serverLimit * spec.shares) / totalShares));
    this.guaranteed = Math.ceil((this.nominal * (100 - spec.lendablePercent)) / 100);
    this.queues = Array.from({ length: spec.queues }, () => []);
  }

  /** The next waiter, round robin over the non-empty queues (each flow's queue gets its turn). */
  dequeue(): Waiter | undefined {
    for (let i = 0; i < this.queues.length; i++) {
      const q = this.queues[(this.next + i) % this.queues.length]!;
      if (q.length) {
        this.next = (this.next + i + 1) % this.queues.length;
        this.waiting--;
        return q.shift();
      }
    }
    return undefined;
  }
}

/** How the dispatcher is set up. */
export interface FlowControllerOptions {
  /** The server's total seats (kube-apiserver's max-requests-inflight + max-mutating-requests-inflight). */
  serverConcurrencyLimit: number;
  /** Longest a request waits in a queue before it is rejected (`time-out`). */
  queueWaitMs: number;
  levels: readonly PriorityLevelSpec[];
  observer?: FlowObserver | undefined;
}

/**
 * Hands out seats. Each level has ⌈limit × shares / Σ shares⌉ nominal seats and always gets them;
 * beyond them it borrows a free seat while every other level's non-lendable seats stay free for
 * it. Without a seat, a request joins the shortest of the queues its flow is dealt (shuffle
 * sharding by flow, so one flow fills at most `handSize` queues); seats are given round robin
 * over a level's queues, so flows share a level fairly whatever their rate. Single-threaded (the
 * event loop): no locking; `acquire` never blocks the loop.
 */
export class FlowController {
  private readonly levels = new Map<string, Level>();
  private readonly order: Level[];
  private totalExecuting = 0;
  private readonly limit: number;

  constructor(private readonly options: FlowControllerOptions) {
    this.limit = options.serverConcurrencyLimit;
    const shares = options.levels.reduce((sum, l) => sum + l.shares, 0);
    this.order = options.levels.map((spec) => new Level(spec, this.limit, shares));
    for (const level of this.order) this.levels.set(level.spec.name, level);
  }

  /** The nominal seats of each level (apiserver_flowcontrol_nominal_limit_seats). */
  nominalSeats(): Map<string, number> {
    return new Map(this.order.map((l) => [l.spec.name, l.nominal]));
  }

  /**
   * A seat on `levelName` for flow `flow` (the user), counted under `schema`: resolves with its
   * release once one is free, or rejects with RequestRejectedError (queue full, no queuing, the
   * wait timed out, or `signal` aborted while queued).
   */
  acquire(levelName: string, schema: string, flow: string, signal?: AbortSignal): Promise<Release> {
    const level = this.levels.get(levelName);
    if (!level) return Promise.reject(new Error(`unknown priority level ${levelName}`));
    const obs = this.options.observer;
    if (level.waiting === 0 && this.canDispatch(level)) {
      obs?.waited(levelName, schema, 0, true);
      return Promise.resolve(this.seat(level, schema));
    }
    if (level.queues.length === 0) return Promise.reject(this.reject(level, schema, "concurrency-limit"));
    const queue = this.chooseQueue(level, flow);
    if (level.queues[queue]!.length >= level.spec.queueLengthLimit) return Promise.reject(this.reject(level, schema, "queue-full"));
    if (signal?.aborted) return Promise.reject(this.reject(level, schema, "cancelled"));
    return new Promise<Release>((resolve, reject) => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => remove("cancelled");
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        obs?.queued(levelName, schema, -1);
      };
      const waiter: Waiter = {
        schema,
        grant: (release) => {
          settle();
          obs?.waited(levelName, schema, (performance.now() - started) / 1000, true);
          resolve(release);
        },
        refuse: (reason) => {
          settle();
          obs?.waited(levelName, schema, (performance.now() - started) / 1000, false);
          reject(this.reject(level, schema, reason));
        },
      };
      const remove = (reason: RejectReason): void => {
        const q = level.queues[queue]!;
        const i = q.indexOf(waiter);
        if (i < 0) return;
        q.splice(i, 1);
        level.waiting--;
        waiter.refuse(reason);
      };
      timer = setTimeout(() => remove("time-out"), this.options.queueWaitMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      level.queues[queue]!.push(waiter);
      level.waiting++;
      obs?.queued(levelName, schema, 1);
    });
  }

  /** A level may start a request on its own nominal seats, or on a borrowed one that leaves every other level's guaranteed seats free. */
  private canDispatch(level: Level): boolean {
    if (level.executing < level.nominal) return true;
    if (level.spec.queues === 0) return false; // the catch-all neither queues nor borrows
    let reserved = 0;
    for (const other of this.order) if (other !== level) reserved += Math.max(0, other.guaranteed - other.executing);
    return this.totalExecuting + reserved < this.limit;
  }

  private seat(level: Level, schema: string): Release {
    level.executing++;
    this.totalExecuting++;
    this.options.observer?.executing(level.spec.name, schema, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      level.executing--;
      this.totalExecuting--;
      this.options.observer?.executing(level.spec.name, schema, -1);
      this.dispatch();
    };
  }

  /** After a seat freed: start waiting requests, levels in turn, while any may start. */
  private dispatch(): void {
    for (let progress = true; progress; ) {
      progress = false;
      for (const level of this.order) {
        if (level.waiting === 0 || !this.canDispatch(level)) continue;
        const waiter = level.dequeue();
        if (!waiter) continue;
        waiter.grant(this.seat(level, waiter.schema));
        progress = true;
      }
    }
  }

  /** Shuffle sharding: the flow's hash deals `handSize` distinct queues; the shortest is chosen. */
  private chooseQueue(level: Level, flow: string): number {
    const n = level.queues.length;
    const hand = Math.min(level.spec.handSize, n);
    const digest = createHash("sha256").update(`${level.spec.name}\0${flow}`).digest();
    let entropy = digest.readBigUInt64BE(0);
    const dealt: number[] = [];
    let best = -1;
    for (let i = 0; i < hand; i++) {
      const remaining = BigInt(n - i);
      let card = Number(entropy % remaining);
      entropy /= remaining;
      // The card-th queue not dealt yet.
      for (const d of [...dealt].sort((a, b) => a - b)) if (d <= card) card++;
      dealt.push(card);
      if (best < 0 || level.queues[card]!.length < level.queues[best]!.length) best = card;
    }
    return best;
  }

  private reject(level: Level, schema: string, reason: RejectReason): RequestRejectedError {
    this.options.observer?.rejected(level.spec.name, schema, reason);
    return new RequestRejectedError(reason, level.spec.name);
  }
}
