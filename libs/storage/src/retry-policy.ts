// etcd3's retry policy for the store: reads are resent after a recoverable error, writes are not (their outcome is unknown, not refused).
import { AsyncLocalStorage } from "node:async_hooks";
import { handleWhen, isBrokenCircuitError, retry, type IPolicy } from "cockatiel";
import { isRecoverableError } from "etcd3";

const inWrite = new AsyncLocalStorage<true>();

/**
 * Runs `fn` (one write txn) so that `etcdRetryPolicy` does not resend it. A txn whose reply was lost
 * (the leader died after committing it) would otherwise be sent again, fail its compare and come
 * back as a mismatch: a write reported refused although applied (`make soak` found one). Without
 * the resend the caller sees StoreUnavailableError, an unknown outcome, as etcd's Go client treats
 * non-repeatable requests.
 */
export function withoutResend<T>(fn: () => Promise<T>): Promise<T> {
  return inWrite.run(true, fn);
}

/**
 * etcd3's default global policy (3 attempts on a recoverable error) for reads; inside
 * `withoutResend` only errors raised before anything was sent (a member's circuit is open) are retried.
 */
export function etcdRetryPolicy(): IPolicy {
  return retry(
    handleWhen((err) => (inWrite.getStore() === undefined ? isRecoverableError(err) : isBrokenCircuitError(err))),
    { maxAttempts: 3 },
  );
}
