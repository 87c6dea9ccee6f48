// Named errors of @kubeplane/watch, each with a stable `code` and the `cause` it wraps.

/**
 * Thrown by `openEventStream` when asked to resume after a revision whose following history the
 * stream no longer holds (aged out, discarded for size, or never published because of an etcd
 * compaction). Like Kubernetes' 410 Gone: the caller must list again and watch from the list.
 */
export class RevisionGoneError extends Error {
  override readonly name = "RevisionGoneError";
  readonly code = "Gone";
  /** The revision the caller asked to resume after. */
  readonly revision: number;
  /** The stream holds every event after this revision (undefined when it cannot tell). */
  readonly oldestResumable: number | undefined;
  constructor(revision: number, oldestResumable: number | undefined, options?: ErrorOptions) {
    super(
      `watch history after revision ${revision} is gone` +
        (oldestResumable === undefined ? "" : `; the stream can resume only after revision ${oldestResumable}`),
      options,
    );
    this.revision = revision;
    this.oldestResumable = oldestResumable;
  }
}

/**
 * Thrown while iterating an event stream when the stream can no longer guarantee that every event
 * matching the filter is delivered: events were discarded before they were delivered, the stream
 * was recreated, or the publisher announced a gap. The caller (an informer) must relist.
 */
export class ResyncRequiredError extends Error {
  override readonly name = "ResyncRequiredError";
  readonly code = "ResyncRequired";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Found by the watch publisher when the stream's last message is at a revision etcd has not
 * reached: etcd was restored from a snapshot without moving its revision past the stream (or the
 * apiserver points at another etcd). Publishing on would reuse revisions clients have already seen
 * for other changes, so the publisher waits, retrying, until the stream is reset (the restore
 * procedure's reset-watch-stream step, docs/operations.md) or etcd passes it.
 */
export class WatchStreamAheadError extends Error {
  override readonly name = "WatchStreamAheadError";
  readonly code = "WatchStreamAhead";
  constructor(
    readonly streamRevision: number,
    readonly etcdRevision: number,
  ) {
    super(`the watch stream's last revision ${streamRevision} is ahead of etcd's ${etcdRevision}: etcd was restored without bumping its revision; reset the watch stream (docs/operations.md, Restore)`);
  }
}

export function isRevisionGone(error: unknown): error is RevisionGoneError {
  return error instanceof RevisionGoneError;
}

export function isResyncRequired(error: unknown): error is ResyncRequiredError {
  return error instanceof ResyncRequiredError;
}

/**
 * Thrown by `createConsumer` (and so by `openEventStream`, or while iterating an event stream whose
 * consumer had to be replaced) when JetStream did not create a consumer before the deadline —
 * every attempt timed out or was refused — or the stream does not exist. `attempts` says how many
 * were made; `cause` is the last failure. The caller retries later (an informer relists).
 */
export class ConsumerCreateError extends Error {
  override readonly name = "ConsumerCreateError";
  readonly code = "ConsumerCreateFailed";
  readonly attempts: number;
  constructor(message: string, attempts: number, options?: ErrorOptions) {
    super(message, options);
    this.attempts = attempts;
  }
}

export function isConsumerCreateError(error: unknown): error is ConsumerCreateError {
  return error instanceof ConsumerCreateError;
}
