// Keeps an in-memory view of one kind current from the apiserver's own store: list, then watch from that revision.
import { resourcePrefix, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import type { Registry } from "../registry.js";

/** What a store watch tells its owner. Handlers run synchronously, in revision order. */
export interface StoreWatchHandlers<T extends ApiObject> {
  /** A fresh list: the view becomes exactly `items`. */
  replace(items: T[]): void;
  /** An object was created or changed (`key` is its etcd key). */
  upsert(key: string, obj: T): void;
  delete(key: string): void;
}

/**
 * Runs until the signal aborts: lists `info`, hands the items to `replace`, then applies every
 * change from the list's revision; on a watch failure it lists again (with back-off). `synced`
 * resolves after the first list, so the apiserver can wait for its caches before serving.
 */
export function watchStore<T extends ApiObject>(
  registry: Registry,
  info: KindInfo<T>,
  handlers: StoreWatchHandlers<T>,
  signal: AbortSignal,
  logger: Logger,
): { synced: Promise<void>; done: Promise<void> } {
  let markSynced!: () => void;
  const synced = new Promise<void>((resolve) => (markSynced = resolve));
  const prefix = resourcePrefix(info);
  const done = (async () => {
    for (let delay = 100; !signal.aborted; delay = Math.min(delay * 2, 5000)) {
      try {
        const page = await registry.list(info, { namespace: "", labelSelector: "", fieldSelector: "", limit: 0, continueToken: "" });
        handlers.replace(page.items);
        markSynced();
        delay = 100;
        for await (const change of registry.store.watchChanges(page.revision + 1, signal, prefix)) {
          if (change.type === "delete") handlers.delete(change.key);
          else handlers.upsert(change.key, info.codec.decode(change.value!));
        }
        return;
      } catch (err) {
        if (signal.aborted) return;
        logger.warn({ err, resource: info.resource }, "authorization cache lost its watch; listing again");
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  })();
  return { synced, done };
}
