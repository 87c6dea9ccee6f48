// Whether each owner of a dependent still exists: the cache first, a live GET before believing it is gone.
import { isNotFound, kindFor, type ApiObject, type metaV1 } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import type { ObjectGraph } from "./graph.js";

/** The finalizers the apiserver adds for Foreground and Orphan propagation. */
export const foregroundFinalizer = "foregroundDeletion";
export const orphanFinalizer = "orphan";

/**
 * - `present`: the owner exists (or its kind is unknown here, so it cannot be proven gone).
 * - `waiting`: the owner exists and is being deleted in the foreground, waiting for its dependents.
 * - `absent`: the apiserver says no object of that name has that uid.
 */
export type OwnerState = "present" | "waiting" | "absent";

export interface ClassifiedOwner {
  ref: metaV1.OwnerReference;
  state: OwnerState;
}

/** Whether `obj` is being deleted and waits for the garbage collector to act on `finalizer`. */
export function deletingWith(obj: ApiObject, finalizer: string): boolean {
  return Boolean(obj.metadata?.deletionTimestamp) && (obj.metadata?.finalizers ?? []).includes(finalizer);
}

function stateOf(owner: ApiObject): OwnerState {
  return deletingWith(owner, foregroundFinalizer) ? "waiting" : "present";
}

/**
 * Classifies every ownerReference of `dependent`. An owner missing from the caches is looked up
 * live by name, since the caches may lag (the owner may have been created a moment ago); it is
 * absent only when the apiserver answers NotFound or holds another object (another uid) under
 * that name. Errors other than NotFound are thrown, so the caller retries.
 */
export async function classifyOwners(graph: ObjectGraph, client: ApiClient, dependent: ApiObject, signal?: AbortSignal): Promise<ClassifiedOwner[]> {
  const out: ClassifiedOwner[] = [];
  const namespace = dependent.metadata?.namespace ?? "";
  for (const ref of dependent.metadata?.ownerReferences ?? []) {
    const cached = graph.get(ref.uid);
    if (cached) {
      out.push({ ref, state: stateOf(cached.obj) });
      continue;
    }
    const info = kindFor(ref.apiVersion, ref.kind);
    // A kind this API does not serve, or a namespaced owner of a cluster-scoped object: we cannot
    // look it up, so we do not claim it is gone.
    if (!info || (info.namespaced && !namespace)) {
      out.push({ ref, state: "present" });
      continue;
    }
    try {
      const live = await client.get(info, info.namespaced ? namespace : "", ref.name, { signal });
      out.push({ ref, state: live.metadata?.uid === ref.uid ? stateOf(live) : "absent" });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      out.push({ ref, state: "absent" });
    }
  }
  return out;
}
