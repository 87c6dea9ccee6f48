// A resumable etcd watch on one key range: reconnects after stream failures from the next unseen revision.
import { setTimeout as sleep } from "node:timers/promises";
import type { Etcd3, IEvent, IWatchResponse } from "etcd3";
import { CompactedError, StoreRequestError, StoreUnavailableError } from "./errors.js";
import { isUnavailable } from "./translate-error.js";

/** What to watch: `[key, rangeEnd)`, or just `key` when rangeEnd is absent. */
export interface WatchRangeRequest {
  key: Buffer;
  rangeEnd?: Buffer;
  /** First revision delivered (inclusive); must be > 0. */
  startRevision: number;
  prevKv?: boolean;
  /** Give up with StoreUnavailableError after failing to (re)connect for this long. */
  reconnectTimeoutMs: number;
}

const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1_000;

/**
 * Yields every event in the range from `startRevision` on, in revision order, each once.
 *
 * We drive the raw Watch RPC instead of etcd3's Watcher: the Watcher resumes from the revision in
 * the last response *header* (etcd's current revision, not the last event's), so a reconnect during
 * catch-up can skip events. Here the resume point is the revision after the last event delivered;
 * etcd never splits one revision's events across responses, so resuming at a response boundary
 * neither loses nor repeats an event.
 *
 * Ends when `signal` aborts. Throws CompactedError if the next revision to deliver has been
 * compacted, StoreUnavailableError after `reconnectTimeoutMs` without a working stream, and
 * StoreRequestError if etcd cancels the watch for another reason.
 */
export async function* watchRange(client: Etcd3, request: WatchRangeRequest, signal: AbortSignal): AsyncGenerator<IEvent> {
  for await (const events of watchRangeResponses(client, request, signal)) yield* events;
}

/**
 * `watchRange`, one array per etcd watch response: a revision's events are never split across
 * arrays (etcd sends a revision whole; a reconnect resumes at the revision after the last array).
 */
export async function* watchRangeResponses(client: Etcd3, request: WatchRangeRequest, signal: AbortSignal): AsyncGenerator<IEvent[]> {
  let next = request.startRevision;
  let backoffMs = MIN_BACKOFF_MS;
  let failingSince: number | undefined;
  let lastError: unknown;

  while (!signal.aborted) {
    if (failingSince !== undefined && Date.now() - failingSince > request.reconnectTimeoutMs) {
      throw new StoreUnavailableError(`etcd watch: no stream for ${request.reconnectTimeoutMs} ms`, { cause: lastError });
    }
    try {
      const stream = await client.watchClient.watch();
      const cancel = (): void => stream.cancel();
      signal.addEventListener("abort", cancel, { once: true });
      if (signal.aborted) cancel(); // aborted while the stream was being opened
      try {
        stream.write({
          create_request: {
            key: request.key,
            range_end: request.rangeEnd,
            start_revision: next,
            prev_kv: request.prevKv ?? false,
          },
        });
        for await (const res of stream as unknown as AsyncIterable<IWatchResponse>) {
          if (res.created && !res.canceled) {
            failingSince = undefined;
            backoffMs = MIN_BACKOFF_MS;
            continue;
          }
          if (res.canceled) throw cancelError(res, next);
          const fresh = res.events.filter((event) => Number(event.kv.mod_revision) >= next);
          if (fresh.length > 0) yield fresh;
          const last = res.events.at(-1);
          if (last) next = Math.max(next, Number(last.kv.mod_revision) + 1);
        }
        // The server ended the stream (e.g. the member is shutting down): reconnect.
      } finally {
        signal.removeEventListener("abort", cancel);
        stream.cancel();
      }
    } catch (error) {
      if (signal.aborted) return;
      if (!isUnavailable(error) && !isStreamReset(error)) throw error;
      lastError = error;
    }
    failingSince ??= Date.now();
    try {
      await sleep(backoffMs, undefined, { signal });
    } catch {
      return; // aborted while backing off
    }
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
  }
}

function cancelError(res: IWatchResponse, next: number): Error {
  const compactRevision = Number(res.compact_revision);
  if (compactRevision > 0 || res.cancel_reason.includes("compacted")) return new CompactedError(next, compactRevision);
  return new StoreRequestError(`etcd watch canceled: ${res.cancel_reason || "no reason given"}`);
}

// grpc-js surfaces a dropped HTTP/2 stream as a plain Error with a numeric status code.
function isStreamReset(error: unknown): boolean {
  if (error instanceof CompactedError || error instanceof StoreRequestError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" && [1, 4, 13, 14].includes(code);
}
