// List: one consistent read of a kind (or a namespace of it), filtered by selectors, paged with continue tokens.
import { apiErrors, namespacePrefix, resourcePrefix, revisionEndVersion, type ApiObject, type KindInfo } from "@kubeplane/api";
import { CompactedError } from "@kubeplane/storage";
import { decodeContinue, encodeContinue, objectFilter } from "../list-filter.js";
import type { StoredObjects } from "./stored-objects.js";

export interface ListParams {
  namespace: string;
  labelSelector: string;
  fieldSelector: string;
  limit: number;
  continueToken: string;
}

export interface ListPage<T> {
  items: T[];
  /** The etcd revision the list was read at (watch the store from `revision + 1`). */
  revision: number;
  /** The list's resourceVersion: `revisionEndVersion(revision)` (every object written at `revision` included). */
  resourceVersion: number;
  continueToken: string;
  remainingItemCount?: number;
}

/** Reads pages of etcd until `limit` objects matched (or all did); every page at one revision. Throws Gone for a compacted continue. */
export async function listObjects<T extends ApiObject>(objects: StoredObjects, info: KindInfo<T>, params: ListParams): Promise<ListPage<T>> {
  const filter = objectFilter(info, params.labelSelector, params.fieldSelector);
  const prefix = info.namespaced && params.namespace ? namespacePrefix(info, params.namespace) : resourcePrefix(info);
  const token = params.continueToken ? decodeContinue(params.continueToken) : undefined;
  let revision = token?.rv;
  let start = token?.start;
  const items: T[] = [];
  const limit = params.limit > 0 ? params.limit : 0;
  for (;;) {
    let page;
    try {
      page = await objects.store.list(prefix, { limit: limit ? Math.max(limit - items.length, 50) : undefined, continueFrom: start, revision });
    } catch (err) {
      if (err instanceof CompactedError) {
        throw apiErrors.gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
      }
      throw err;
    }
    revision = page.revision;
    for (const v of page.items) {
      const obj = objects.read(info, v);
      start = v.key;
      if (!filter.matches(obj)) continue;
      items.push(obj);
      if (limit && items.length === limit) {
        const more = page.more || v !== page.items[page.items.length - 1];
        return {
          items,
          revision,
          resourceVersion: revisionEndVersion(revision),
          continueToken: more ? encodeContinue({ rv: revision, start: v.key }) : "",
          remainingItemCount: more && filter.matchesEverything && page.remaining !== undefined ? page.remaining + (page.items.length - page.items.indexOf(v) - 1) : undefined,
        };
      }
    }
    if (!page.more) return { items, revision, resourceVersion: revisionEndVersion(revision), continueToken: "" };
  }
}
