// Read-modify-write of one object's metadata (finalizers, ownerReferences) with compare-and-swap retries.
import { isConflict, isNotFound, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";

const conflictRetries = 5;

/**
 * Reads the live object, lets `mutate` change a copy (returning false when nothing needs to
 * change), and writes it back conditioned on the read's resourceVersion; a lost race re-reads.
 * Returns false when the object is gone or is no longer the one with `uid` (nothing to do).
 * Other ApiErrors, and a Conflict after the retries, are thrown.
 */
export async function updateObject(
  client: ApiClient,
  info: KindInfo,
  namespace: string,
  name: string,
  uid: string,
  mutate: (obj: ApiObject) => boolean,
  signal?: AbortSignal,
): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    let live: ApiObject;
    try {
      live = await client.get(info, namespace, name, { signal });
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    if (live.metadata?.uid !== uid) return false;
    const next = info.codec.fromPartial(live);
    if (!mutate(next)) return true;
    try {
      await client.update(info, next, { signal });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      if (isConflict(err) && attempt < conflictRetries) continue;
      throw err;
    }
  }
}

/** Removes `finalizer` from the object with `uid`, if it is still there. */
export function removeFinalizer(client: ApiClient, info: KindInfo, obj: ApiObject, finalizer: string, signal?: AbortSignal): Promise<boolean> {
  const meta = obj.metadata!;
  return updateObject(client, info, meta.namespace, meta.name, meta.uid, (o) => {
    const before = o.metadata!.finalizers.length;
    o.metadata!.finalizers = o.metadata!.finalizers.filter((f) => f !== finalizer);
    return o.metadata!.finalizers.length !== before;
  }, signal);
}

/** Removes the ownerReferences to `ownerUids` from the object with `obj`'s uid. */
export function removeOwnerReferences(client: ApiClient, info: KindInfo, obj: ApiObject, ownerUids: ReadonlySet<string>, signal?: AbortSignal): Promise<boolean> {
  const meta = obj.metadata!;
  return updateObject(client, info, meta.namespace, meta.name, meta.uid, (o) => {
    const before = o.metadata!.ownerReferences.length;
    o.metadata!.ownerReferences = o.metadata!.ownerReferences.filter((r) => !ownerUids.has(r.uid));
    return o.metadata!.ownerReferences.length !== before;
  }, signal);
}
