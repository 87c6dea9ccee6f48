// GuaranteedUpdate: the read-modify-write every update, status write, subresource and finalizer removal goes through.
import { apiErrors, registryKey, type ApiObject, type KindInfo } from "@kubeplane/api";
import { KeyExistsError, RevisionMismatchError, type StoredValue } from "@kubeplane/storage";
import type { ReservationPlan, Strategy } from "../strategies/index.js";
import { conflictRetries, subject, type StoredObjects } from "./stored-objects.js";

/** The next object from the stored one; may be async (admission runs in it) and may run more than once. */
export type Mutate<T extends ApiObject> = (old: T) => T | Promise<T>;

/**
 * Read-modify-write with compare-and-swap. `mutate` gets the stored object and returns the next
 * one (or throws an ApiError); it may be called more than once. Each call gets its own decoded
 * copy, so it may change it in place and return it (binding does); where old and next are compared
 * afterwards (reservations, deletion), return a copy. With `wantedRv` set, a stored object at
 * another revision is a Conflict; without, a lost race retries on the current value.
 *
 * The first attempt starts from the value this replica last saw for the key, if any (no etcd
 * read): the txn's compare rejects it if it is stale, and the failed txn returns the
 * current value to go on with. Outcomes the compare cannot vouch for (mutate throwing, a no-op
 * write, a wantedRv mismatch) are decided only on a value just read from etcd.
 */
export async function guaranteedUpdate<T extends ApiObject>(
  objects: StoredObjects,
  strategy: Strategy,
  info: KindInfo<T>,
  namespace: string,
  name: string,
  wantedRv: string,
  dryRun: boolean,
  mutate: Mutate<T>,
): Promise<T> {
  const key = registryKey(info, namespace, name);
  const exclude = new Set<string>();
  const reservations = strategy.reservations;
  // The state to start from; `fresh` when read from etcd (or returned by a failed txn) for this call.
  let current: { found: StoredValue | undefined; fresh: boolean } | undefined = dryRun ? undefined : cachedState(objects, key, wantedRv);
  for (let attempt = 0; ; ) {
    current ??= { found: await objects.readStored(key), fresh: true };
    const { found, fresh } = current;
    if (!found) throw apiErrors.notFound(subject(info, name));
    if (wantedRv && wantedRv !== String(found.resourceVersion)) {
      if (!fresh) {
        current = undefined;
        continue;
      }
      throw apiErrors.staleConflict(subject(info, name));
    }
    const old = objects.read(info, found);
    let next: T;
    let plan: ReservationPlan | undefined;
    let deleting: boolean;
    let plain: Uint8Array | undefined;
    try {
      next = await mutate(old);
      next.metadata!.resourceVersion = "";
      if (reservations) plan = reservations.plan(next, old, exclude);
      deleting = !!old.metadata?.deletionTimestamp && !strategy.hasFinalizers(next) && !strategy.gracefulPending(next);
      if (!deleting) plain = objects.encode(info, next);
    } catch (err) {
      // An error computed from a remembered value may not hold for the current one.
      if (!fresh) {
        current = undefined;
        continue;
      }
      throw err;
    }
    // A lost race: go on from the value the failed txn read (a retry, or, from a stale guess, the first real attempt).
    const lostRace = (err: RevisionMismatchError): boolean => {
      if (fresh && (wantedRv || attempt++ >= conflictRetries)) return false;
      current = { found: err.current, fresh: true };
      if (err.current) objects.recent.remember(err.current);
      else objects.recent.forget(key);
      return true;
    };
    // The last finalizer removed from an object being deleted: the object goes.
    if (deleting) {
      if (dryRun) return next;
      try {
        await objects.store.delete(key, found.resourceVersion, { alsoDelete: reservations?.held(old) ?? [] });
        objects.recent.forget(key);
        return next;
      } catch (err) {
        if (err instanceof RevisionMismatchError && lostRace(err)) continue;
        if (err instanceof RevisionMismatchError) throw apiErrors.staleConflict(subject(info, name));
        throw err;
      }
    }
    if (objects.unchanged(info, plain!, found)) {
      if (!fresh) {
        current = undefined;
        continue;
      }
      // Nothing changed: no write, the resourceVersion stays (as Kubernetes does).
      next.metadata!.resourceVersion = String(found.resourceVersion);
      return next;
    }
    const bytes = objects.toStorage(info, key, plain!);
    if (dryRun) return next;
    try {
      const rv = await objects.store.update(key, bytes, found.resourceVersion, { alsoCreate: plan?.create ?? [], alsoDelete: plan?.release ?? [], lease: await objects.leaseFor(strategy) });
      objects.wrote(key, bytes, rv, found.createRevision);
      next.metadata!.resourceVersion = String(rv);
      return next;
    } catch (err) {
      if (err instanceof RevisionMismatchError) {
        if (lostRace(err)) continue;
        throw apiErrors.staleConflict(subject(info, name));
      }
      if (err instanceof KeyExistsError && plan && reservations) {
        reservations.taken(info, next, plan, err.key, exclude, attempt++);
        current = undefined;
        continue;
      }
      throw err;
    }
  }
}

/** The remembered state of `key` to start a read-modify-write from, unless it cannot satisfy `wantedRv`. */
function cachedState(objects: StoredObjects, key: string, wantedRv: string): { found: StoredValue; fresh: false } | undefined {
  const found = objects.recent.get(key);
  if (!found || (wantedRv && wantedRv !== String(found.resourceVersion))) return undefined;
  return { found, fresh: false };
}
