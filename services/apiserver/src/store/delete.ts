// Delete: removes an object, or only marks it (deletionTimestamp) while finalizers or a grace period hold it.
import { apiErrors, registryKey, type ApiObject, type KindInfo } from "@kubeplane/api";
import { RevisionMismatchError } from "@kubeplane/storage";
import type { Strategy } from "../strategies/index.js";
import { conflictRetries, subject, timestamp, type StoredObjects } from "./stored-objects.js";

export interface DeleteParams {
  gracePeriodSeconds?: number;
  propagationPolicy: string;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

const propagationPolicies = ["Orphan", "Foreground", "Background"];

/**
 * Deletes, or only marks: an object with finalizers (or a propagation policy that adds one) gets
 * deletionTimestamp and stays until the last finalizer is removed; an object the strategy gives a
 * grace period (a running pod) stays until a delete with grace 0. `admit` sees the stored object
 * after the preconditions held, before anything is written (admission of DELETE), on every attempt.
 */
export async function deleteObject<T extends ApiObject>(
  objects: StoredObjects,
  strategy: Strategy,
  info: KindInfo<T>,
  namespace: string,
  name: string,
  params: DeleteParams,
  now: Date,
  admit?: (old: T) => Promise<void>,
): Promise<{ object: T; deleted: boolean }> {
  const key = registryKey(info, namespace, name);
  for (let attempt = 0; ; attempt++) {
    const found = await objects.readStored(key);
    if (!found) throw apiErrors.notFound(subject(info, name));
    const old = objects.read(info, found);
    const pre = params.preconditions;
    if (pre?.uid && pre.uid !== old.metadata!.uid) {
      throw apiErrors.conflict(subject(info, name), `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata!.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== old.metadata!.resourceVersion) {
      throw apiErrors.conflict(subject(info, name), `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${old.metadata!.resourceVersion}`);
    }
    if (params.propagationPolicy && !propagationPolicies.includes(params.propagationPolicy)) {
      throw apiErrors.badRequest(`propagationPolicy: Unsupported value: "${params.propagationPolicy}": supported values: "Background", "Foreground", "Orphan"`);
    }
    if (admit) await admit(old);
    const next = info.codec.fromPartial(old);
    const meta = next.metadata!;
    const finalizers = new Set(meta.finalizers);
    if (params.propagationPolicy === "Orphan") finalizers.add("orphan");
    if (params.propagationPolicy === "Foreground") finalizers.add("foregroundDeletion");
    meta.finalizers = [...finalizers];
    const grace = strategy.gracePeriod(old, params.gracePeriodSeconds);
    const held = strategy.hasFinalizers(next);
    if (!held && grace === 0) {
      if (params.dryRun) return { object: old, deleted: true };
      try {
        const rv = await objects.store.delete(key, found.resourceVersion, { alsoDelete: strategy.reservations?.held(old) ?? [] });
        objects.recent.forget(key);
        old.metadata!.resourceVersion = String(rv);
        return { object: old, deleted: true };
      } catch (err) {
        if (err instanceof RevisionMismatchError && attempt < conflictRetries) continue;
        throw err;
      }
    }
    if (!meta.deletionTimestamp || grace < (meta.deletionGracePeriodSeconds ?? 0)) {
      // A shorter grace period moves the deadline closer, never further.
      meta.deletionTimestamp = timestamp(new Date(now.getTime() + grace * 1000));
      meta.deletionGracePeriodSeconds = grace;
    }
    strategy.prepareForDelete(next);
    if (params.dryRun) return { object: next, deleted: false };
    const plain = objects.encode(info, next);
    if (objects.unchanged(info, plain, found)) return { object: old, deleted: false };
    const bytes = objects.toStorage(info, key, plain);
    try {
      const rv = await objects.store.update(key, bytes, found.resourceVersion, { lease: await objects.leaseFor(strategy) });
      objects.wrote(key, bytes, rv, found.createRevision);
      meta.resourceVersion = String(rv);
      return { object: next, deleted: false };
    } catch (err) {
      if (err instanceof RevisionMismatchError && attempt < conflictRetries) continue;
      throw err;
    }
  }
}
