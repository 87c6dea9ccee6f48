// Maps the etcd3 client's errors to the store's named errors, once, at the edge of every call.
import { isBrokenCircuitError } from "cockatiel";
import { ClientClosedError, GRPCCancelledError, GRPCDeadlineExceededError, GRPCUnavailableError, isRecoverableError } from "etcd3";
import { CompactedError, KeyExistsError, RevisionMismatchError, StoreRequestError, StoreUnavailableError } from "./errors.js";

// etcd answers these while it has no leader or is overloaded; they pass with time, like a refused connection.
const TRANSIENT_MESSAGES = ["no leader", "leader changed", "request timed out", "too many requests", "not capable", "timed out waiting for read index"];

/** True when `error` is etcd saying the requested revision is older than its last compaction. */
export function isCompactedMessage(error: unknown): boolean {
  return error instanceof Error && error.message.includes("required revision has been compacted");
}

/**
 * Wraps an etcd3 error thrown by `operation` in CompactedError (needs the requested revision),
 * StoreUnavailableError or StoreRequestError. The store's own errors pass through unchanged.
 */
export function translateError(operation: string, error: unknown, revision = 0): Error {
  if (
    error instanceof KeyExistsError ||
    error instanceof RevisionMismatchError ||
    error instanceof CompactedError ||
    error instanceof StoreUnavailableError ||
    error instanceof StoreRequestError
  ) {
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (isCompactedMessage(error)) return new CompactedError(revision, 0, { cause: error });
  if (isUnavailable(error)) return new StoreUnavailableError(`etcd ${operation}: ${message}`, { cause: error });
  return new StoreRequestError(`etcd ${operation}: ${message}`, { cause: error });
}

/** True for the errors a later retry (possibly against another member) may cure. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof StoreUnavailableError) return true;
  if (
    error instanceof GRPCUnavailableError ||
    error instanceof GRPCDeadlineExceededError ||
    error instanceof GRPCCancelledError ||
    error instanceof ClientClosedError ||
    // cockatiel's BrokenCircuitError keeps the name "Error": every member's circuit open (say, an election after a partition healed).
    isBrokenCircuitError(error) ||
    isRecoverableError(error)
  ) {
    return true;
  }
  return TRANSIENT_MESSAGES.some((m) => error.message.includes(`etcdserver: ${m}`));
}
