// The garbage collector's view of the object graph: every watched object by uid, dependents by owner uid.
import { kindFor, kindForResource, type ApiObject, type KindInfo } from "@kubeplane/api";
import { objectKey, type Informer, type Lister } from "@kubeplane/client";
import type { SharedInformerFactory } from "@kubeplane/client";

/** The kinds the garbage collector watches: those that own, or are owned by, other objects. */
export const gcResources: ReadonlyArray<readonly [group: string, resource: string]> = [
  ["", "pods"],
  ["", "services"],
  ["", "endpoints"],
  ["", "configmaps"],
  ["", "secrets"],
  ["", "persistentvolumeclaims"],
  ["", "replicationcontrollers"],
  ["discovery.k8s.io", "endpointslices"],
  ["apps", "deployments"],
  ["apps", "replicasets"],
  ["apps", "daemonsets"],
  ["apps", "statefulsets"],
  ["apps", "controllerrevisions"],
  ["batch", "jobs"],
  ["batch", "cronjobs"],
];

/** One object of the graph: its kind and its place in that kind's cache. */
export interface GraphNode {
  info: KindInfo;
  key: string;
}

/** What the graph tells its owner about a change, after it has updated itself. */
export interface GraphHandler {
  /** Added or updated (`old` is the previous state of an update). */
  onChange(info: KindInfo, obj: ApiObject, old?: ApiObject): void;
  onDelete(info: KindInfo, obj: ApiObject): void;
}

/**
 * A uid-indexed view over the shared informers of `gcResources` (Kubernetes' GC "virtual graph",
 * built from the caches rather than kept alongside them). Owner → dependents comes from each
 * cache's `owner` index, uid → object from a map kept by the informers' handlers, which run
 * one at a time, so it is never read half-updated. Like the caches, it may lag the apiserver:
 * an object missing here is not proof that it does not exist.
 */
export class ObjectGraph {
  private readonly byUid = new Map<string, GraphNode>();
  private readonly informers = new Map<KindInfo, Informer<ApiObject>>();

  constructor(factory: SharedInformerFactory, handler: GraphHandler) {
    for (const [group, resource] of gcResources) {
      const info = kindForResource(group, resource);
      if (!info) continue;
      const informer = factory.informerFor(info);
      this.informers.set(info, informer);
      informer.addEventHandler({
        onAdd: (o) => {
          this.index(info, o);
          handler.onChange(info, o);
        },
        onUpdate: (old, cur) => {
          if (old.metadata?.uid !== cur.metadata?.uid) {
            // Deleted and re-created under the same name between two lists: two objects.
            this.unindex(old);
            handler.onDelete(info, old);
            this.index(info, cur);
            handler.onChange(info, cur);
            return;
          }
          this.index(info, cur);
          handler.onChange(info, cur, old);
        },
        onDelete: (o) => {
          this.unindex(o);
          handler.onDelete(info, o);
        },
      });
    }
  }

  /** The cached object with `uid`, with its kind; undefined if the caches do not hold it. */
  get(uid: string): { info: KindInfo; obj: ApiObject } | undefined {
    const node = this.byUid.get(uid);
    if (!node) return undefined;
    const obj = this.lister(node.info)?.getByKey(node.key);
    return obj && obj.metadata?.uid === uid ? { info: node.info, obj } : undefined;
  }

  /** The kinds the graph watches. */
  kinds(): KindInfo[] {
    return [...this.informers.keys()];
  }

  /** Every cached object with an ownerReference to `uid`, across the watched kinds. */
  dependents(uid: string): Array<{ info: KindInfo; obj: ApiObject }> {
    const out: Array<{ info: KindInfo; obj: ApiObject }> = [];
    for (const [info, informer] of this.informers) {
      for (const obj of informer.lister.byIndex("owner", uid)) out.push({ info, obj });
    }
    return out;
  }

  /** Whether the kind of an ownerReference is one the graph watches (so its cache can be asked). */
  watches(apiVersion: string, kind: string): KindInfo | undefined {
    const info = kindFor(apiVersion, kind);
    return info && this.informers.has(info) ? info : undefined;
  }

  private lister(info: KindInfo): Lister<ApiObject> | undefined {
    return this.informers.get(info)?.lister;
  }

  private index(info: KindInfo, obj: ApiObject): void {
    const uid = obj.metadata?.uid;
    if (uid) this.byUid.set(uid, { info, key: objectKey(obj) });
  }

  private unindex(obj: ApiObject): void {
    const uid = obj.metadata?.uid;
    if (uid && this.byUid.get(uid)?.key === objectKey(obj)) this.byUid.delete(uid);
  }
}
