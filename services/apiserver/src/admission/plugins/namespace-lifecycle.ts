// NamespaceLifecycle (Kubernetes' plugin of that name): no new content in a namespace that is missing or being
// deleted, and the system namespaces are never deleted. Active namespaces are cached from an etcd watch
// (kube-apiserver's plugin keeps an informer), so a create costs no extra etcd read; anything not known
// Active is checked with a read.
import { apiErrors, kindForResource, resourcePrefix, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import type { EtcdStore } from "@kubeplane/storage";
import { systemNamespaces } from "../../system-namespaces.js";
import type { AdmissionAttributes, MutatingAdmissionPlugin } from "../interfaces.js";

/** What the plugin reads (the Registry provides it): namespaces, and etcd's change feed of them. */
export interface NamespaceSource {
  tryGet(info: KindInfo, namespace: string, name: string): Promise<{ obj: ApiObject; revision: number } | undefined>;
  list(
    info: KindInfo,
    params: { namespace: string; labelSelector: string; fieldSelector: string; limit: number; continueToken: string },
  ): Promise<{ items: ApiObject[]; revision: number }>;
  readonly store: Pick<EtcdStore, "watchChanges">;
}

const namespaces = (): KindInfo => kindForResource("", "namespaces")!;
const isNamespace = (info: KindInfo): boolean => info.group === "" && info.resource === "namespaces";

/**
 * Runs first among the mutating plugins (it changes nothing), as Kubernetes orders it, so a create
 * into a missing namespace is NotFound before any other plugin looks up objects in it. Only creates of
 * objects (not subresources: a terminating namespace's pods still get tokens, bindings and evictions)
 * are checked; updates and deletes of existing content always pass, so finalizers can be removed.
 */
export class NamespaceLifecycle implements MutatingAdmissionPlugin {
  readonly name = "NamespaceLifecycle";
  /** Names of namespaces last seen Active (no deletionTimestamp). */
  private readonly active = new Set<string>();
  private watching = false;

  constructor(
    private readonly source: NamespaceSource,
    private readonly logger: Logger,
  ) {}

  handles(attrs: AdmissionAttributes): boolean {
    if (isNamespace(attrs.info)) return attrs.operation === "DELETE";
    return attrs.operation === "CREATE" && attrs.subresource === "" && attrs.info.namespaced;
  }

  async admit(attrs: AdmissionAttributes): Promise<void> {
    if (isNamespace(attrs.info)) {
      if ((systemNamespaces as readonly string[]).includes(attrs.name)) throw apiErrors.forbidden({ resource: "namespaces", name: attrs.name }, "this namespace may not be deleted");
      // This replica is deleting it: stop trusting the cache for it (the watch catches up later).
      this.active.delete(attrs.name);
      return;
    }
    const namespace = attrs.namespace;
    if (this.watching && this.active.has(namespace)) return;
    const found = await this.source.tryGet(namespaces(), "", namespace);
    if (!found) throw apiErrors.notFound({ resource: "namespaces", name: namespace });
    const phase = (found.obj as { status?: { phase?: string } }).status?.phase;
    if (found.obj.metadata?.deletionTimestamp || phase === "Terminating") {
      throw apiErrors.forbidden(
        { group: attrs.info.group, resource: attrs.info.resource, name: attrs.name },
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  /**
   * Keeps the Active set current from etcd until the signal aborts: lists, then watches from the
   * list's revision; on any watch failure the cache is bypassed until a fresh list succeeds.
   */
  async run(signal: AbortSignal): Promise<void> {
    const info = namespaces();
    const prefix = resourcePrefix(info);
    for (let delay = 100; !signal.aborted; delay = Math.min(delay * 2, 5000)) {
      try {
        const page = await this.source.list(info, { namespace: "", labelSelector: "", fieldSelector: "", limit: 0, continueToken: "" });
        this.active.clear();
        for (const ns of page.items) if (!ns.metadata?.deletionTimestamp) this.active.add(ns.metadata!.name);
        this.watching = true;
        for await (const change of this.source.store.watchChanges(page.revision + 1, signal, prefix)) {
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
        this.logger.warn({ err }, "namespace cache lost its watch; checking namespaces with reads until it recovers");
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
