// Named errors thrown by the etcd store, each with a stable `code` and the `cause` it wraps.
import type { StoredValue } from "./stored-value.js";

/** Thrown by create/update when a key that must be absent (the object or an `alsoCreate` reservation) exists. */
export class KeyExistsError extends Error {
  override readonly name = "KeyExistsError";
  readonly code = "KeyExists";
  /** The first key, in request order, that already exists: the object's key or a reservation key. */
  readonly key: string;
  constructor(key: string, options?: ErrorOptions) {
    super(`key ${key} already exists`, options);
    this.key = key;
  }
}

/** Thrown by update/delete when the key is not at the expected resourceVersion (a lost race, a Conflict). */
export class RevisionMismatchError extends Error {
  override readonly name = "RevisionMismatchError";
  readonly code = "RevisionMismatch";
  readonly key: string;
  /** The resourceVersion the write expected the key at. */
  readonly expectedResourceVersion: number;
  /** What the key holds now; undefined when the key no longer exists. */
  readonly current: StoredValue | undefined;
  constructor(key: string, expectedResourceVersion: number, current: StoredValue | undefined, options?: ErrorOptions) {
    const now = current ? `resourceVersion ${current.resourceVersion}` : "no such key";
    super(`key ${key}: expected resourceVersion ${expectedResourceVersion}, found ${now}`, options);
    this.key = key;
    this.expectedResourceVersion = expectedResourceVersion;
    this.current = current;
  }
}

/** Thrown by list and watchChanges when the requested revision has been compacted away (Kubernetes: 410 Gone). */
export class CompactedError extends Error {
  override readonly name = "CompactedError";
  readonly code = "Compacted";
  /** The requested revision. */
  readonly revision: number;
  /** The oldest revision still available, when etcd said so (watch); 0 when unknown. */
  readonly compactRevision: number;
  constructor(revision: number, compactRevision: number, options?: ErrorOptions) {
    super(`revision ${revision} has been compacted${compactRevision ? ` (oldest available ${compactRevision})` : ""}`, options);
    this.revision = revision;
    this.compactRevision = compactRevision;
  }
}

/** Thrown when etcd cannot be reached or has no leader (connection refused, deadline exceeded, client closed). Retryable. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  readonly code = "StoreUnavailable";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Thrown when etcd rejects a request for any other reason (a bug or a misconfiguration, not a retryable outage). */
export class StoreRequestError extends Error {
  override readonly name = "StoreRequestError";
  readonly code = "StoreRequest";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

export function isKeyExists(error: unknown): error is KeyExistsError {
  return error instanceof KeyExistsError;
}

export function isRevisionMismatch(error: unknown): error is RevisionMismatchError {
  return error instanceof RevisionMismatchError;
}

export function isCompacted(error: unknown): error is CompactedError {
  return error instanceof CompactedError;
}

export function isStoreUnavailable(error: unknown): error is StoreUnavailableError {
  return error instanceof StoreUnavailableError;
}
