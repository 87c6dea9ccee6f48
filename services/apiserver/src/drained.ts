// Waiting for a full stream buffer to empty without outliving the stream's reader.

/**
 * Resolves when `stream` emits "drain", or at once when `signal` is aborted, and when the stream
 * closes or is cancelled first: a reader that goes away while the buffer is full never drains it, and a
 * writer awaiting only "drain" would then wait for ever (a watch would outlive its connection, holding its
 * timers and its consumer).
 */
export function drainedOrGone(stream: NodeJS.EventEmitter & { destroyed?: boolean }, signal: AbortSignal): Promise<void> {
  if (signal.aborted || stream.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const events = ["drain", "close", "cancelled", "error"] as const;
    const done = (): void => {
      for (const event of events) stream.removeListener(event, done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    for (const event of events) stream.once(event, done);
    signal.addEventListener("abort", done, { once: true });
  });
}
