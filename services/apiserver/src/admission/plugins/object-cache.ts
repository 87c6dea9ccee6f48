// A watch-fed cache of one kind's objects by namespace, for admission plugins that would otherwise read etcd on every
// write (kube-apiserver's plugins keep informers for LimitRanges, ResourceQuotas and Namespaces for the same reason).
import { getMaxListeners, setMaxListeners } from "node:events";
import { resourcePrefix, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import type { EtcdStore } from "@kubeplane/storage";

/** What the cache reads (the Registry provides it): a list with its revision, and etcd's change feed. */
export interface WatchSource {
  list(
    info: KindInfo,
    params: { namespace: string; labelSelector: string; fieldSelector: string; limit: number; continueToken: string },
  ): Promise<{ items: ApiObject[]; revision: number }>;
  readonly store: Pick<EtcdStore, "watchChanges">;
}

/**
 * The objects of one kind as of the last etcd event this replica processed (milliseconds behind etcd at most,
 * while watching). Lookups answer undefined while the cache is not watching (before the first list, after a lost
 * watch), so callers then read the store. Single-threaded: `run` mutates, lookups read, no locking needed.
 */
export class ObjectCache<T extends ApiObject> {
  private readonly byNamespace = new Map<string, Map<string, T>>();
  private watching = false;

  constructor(
    private readonly info: KindInfo<T>,
    private readonly source: WatchSource,
    private readonly logger: Logger,
  ) {}

  /** The namespace's objects (cluster-scoped kinds: namespace ""), or undefined when the cache cannot answer. */
  list(namespace: string): T[] | undefined {
    if (!this.watching) return undefined;
    return [...(this.byNamespace.get(namespace)?.values() ?? [])];
  }

  /** One object: the object, null when the cache knows it does not exist, undefined when it cannot answer. */
  get(namespace: string, name: string): T | null | undefined {
    if (!this.watching) return undefined;
    return this.byNamespace.get(namespace)?.get(name) ?? null;
  }

  /** Lists, then follows etcd's changes from the list's revision until the signal aborts; relists after a failure. */
  async run(parent: AbortSignal): Promise<void> {
    // One listener on the chain's shared signal (whose listener budget grows by it, as every plugin's background
    // work hangs on that signal); the watch's own listeners go on this cache's signal.
    const local = new AbortController();
    const stop = (): void => local.abort();
    setMaxListeners(getMaxListeners(parent) + 1, parent);
    parent.addEventListener("abort", stop, { once: true });
    try {
      await this.follow(local.signal);
    } finally {
      parent.removeEventListener("abort", stop);
    }
  }

  private async follow(signal: AbortSignal): Promise<void> {
    const prefix = resourcePrefix(this.info);
    for (let delay = 100; !signal.aborted; delay = Math.min(delay * 2, 5000)) {
      try {
        const page = await this.source.list(this.info, { namespace: "", labelSelector: "", fieldSelector: "", limit: 0, continueToken: "" });
        this.byNamespace.clear();
        for (const obj of page.items) this.put(obj.metadata?.namespace ?? "", obj.metadata?.name ?? "", obj as T);
        this.watching = true;
        for await (const change of this.source.store.watchChanges(page.revision + 1, signal, prefix)) {
          const rest = change.key.slice(prefix.length);
          const slash = this.info.namespaced ? rest.indexOf("/") : -1;
          const [namespace, name] = slash < 0 ? ["", rest] : [rest.slice(0, slash), rest.slice(slash + 1)];
          if (change.type === "delete") this.byNamespace.get(namespace)?.delete(name);
          else this.put(namespace, name, this.info.codec.decode(change.value!));
        }
        // The feed ended without an abort: relist rather than trust a cache nothing updates.
        this.watching = false;
      } catch (err) {
        this.watching = false;
        if (signal.aborted) return;
        this.logger.warn({ err, resource: this.info.resource }, "admission cache lost its watch; reading the store until it recovers");
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private put(namespace: string, name: string, obj: T): void {
    let objects = this.byNamespace.get(namespace);
    if (!objects) this.byNamespace.set(namespace, (objects = new Map()));
    objects.set(name, obj);
  }
}
