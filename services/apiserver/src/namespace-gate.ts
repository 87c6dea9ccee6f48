// Admission of writes into namespaces: the namespace must exist and not be terminating. Active
// namespaces are cached from an etcd watch (kube-apiserver's NamespaceLifecycle keeps an informer),
// so a create costs no extra etcd read; anything not known Active is checked with a read.
import { apiErrors, kindForResource, resourcePrefix, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import type { EtcdStore } from "@kubeplane/storage";

/** What the gate reads (the registry provides it): namespaces, and etcd's change feed of them. */
export interface NamespaceSource {
  tryGet(info: KindInfo, namespace: string, name: string): Promise<{ obj: ApiObject; revision: number } | undefined>;
  list(
    info: KindInfo,
    params: { namespace: string; labelSelector: string; fieldSelector: string; limit: number; continueToken: string },
  ): Promise<{ items: ApiObject[]; revision: number }>;
  readonly store: Pick<EtcdStore, "watchChanges">;
}

const namespaces = (): KindInfo => kindForResource("", "namespaces")!;

export class NamespaceGate {
  /** Names of namespaces last seen Active (no deletionTimestamp). */
  private readonly active = new Set<string>();
  private watching = false;

  constructor(private readonly registry: NamespaceSource) {}

  /** Throws NotFound for a missing namespace and Forbidden for one being deleted. */
  async admitWrite(namespace: string): Promise<void> {
    if (this.watching && this.active.has(namespace)) return;
    const found = await this.registry.tryGet(namespaces(), "", namespace);
    if (!found) throw apiErrors.notFound({ resource: "namespaces", name: namespace });
    const phase = (found.obj as { status?: { phase?: string } }).status?.phase;
    if (found.obj.metadata?.deletionTimestamp || phase === "Terminating") {
      throw apiErrors.forbidden(
        { resource: "namespaces", name: namespace },
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  /** Stops trusting the cache for `namespace` (this replica is deleting it; the watch catches up later). */
  forget(namespace: string): void {
    this.active.delete(namespace);
  }

  /**
   * Keeps the Active set current from etcd until the signal aborts: lists, then watches from the
   * list's revision; on any watch failure the cache is bypassed until a fresh list succeeds.
   */
  async run(signal: AbortSignal, logger: Logger): Promise<void> {
    const info = namespaces();
    const prefix = resourcePrefix(info);
    for (let delay = 100; !signal.aborted; delay = Math.min(delay * 2, 5000)) {
      try {
        const page = await this.registry.list(info, { namespace: "", labelSelector: "", fieldSelector: "", limit: 0, continueToken: "" });
        this.active.clear();
        for (const ns of page.items) if (!ns.metadata?.deletionTimestamp) this.active.add(ns.metadata!.name);
        this.watching = true;
        for await (const change of this.registry.store.watchChanges(page.revision + 1, signal, prefix)) {
          const name = change.key.slice(prefix.length);
          if (change.type === "delete") this.active.delete(name);
          else {
            // Decoding is cheap and namespaces change rarely; a terminating one leaves the set.
            const obj = info.codec.decode(change.value!);
            if (obj.metadata?.deletionTimestamp) this.active.delete(name);
            else this.active.add(name);
          }
        }
        return;
      } catch (err) {
        this.watching = false;
        if (signal.aborted) return;
        logger.warn({ err }, "namespace cache lost its watch; checking namespaces with reads until it recovers");
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
