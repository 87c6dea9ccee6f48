// Lists a range's taken reservations, so a picker can exclude them when the range is nearly full.
import type { EtcdStore } from "./etcd-store.js";

const PAGE = 1000;

/**
 * The reserved values under `prefix` (the part of each key after it: an IP, a port), read page by
 * page at one revision. A snapshot: a value free here may be taken a moment later, which the
 * reservation txn then reports as KeyExistsError. Throws the store's errors.
 */
export async function reservedKeys(store: EtcdStore, prefix: string): Promise<Set<string>> {
  const taken = new Set<string>();
  let page = await store.list(prefix, { limit: PAGE });
  for (;;) {
    for (const item of page.items) taken.add(item.key.slice(prefix.length));
    const last = page.items.at(-1);
    if (!page.more || !last) return taken;
    page = await store.list(prefix, { limit: PAGE, continueFrom: last.key, revision: page.revision });
  }
}
