// The informer's cache: objects by namespace/name with indexes by namespace, label, node and owner.
import { parseLabelSelector, type ApiObject, type LabelSelector } from "@kubeplane/api";

/** `namespace/name`, or `name` for cluster-scoped objects: the work-queue key of an object. */
export function objectKey(obj: ApiObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name ?? ""}` : (obj.metadata?.name ?? "");
}

/** Splits an object key back into namespace and name. */
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { namespace: "", name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Computes the values an object is indexed under. */
export type IndexFunc<T> = (obj: T) => string[];

export const byNamespace: IndexFunc<ApiObject> = (o) => [o.metadata?.namespace ?? ""];
export const byOwnerUid: IndexFunc<ApiObject> = (o) => (o.metadata?.ownerReferences ?? []).map((r) => r.uid);
export const byLabel: IndexFunc<ApiObject> = (o) => Object.entries(o.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`);
/** Pods by spec.nodeName ("" for unscheduled ones). */
export const byNodeName: IndexFunc<ApiObject> = (o) => [((o as { spec?: { nodeName?: string } }).spec?.nodeName) ?? ""];

/**
 * A read-only view of an informer's cache (a lister). Objects handed out are the cache's own:
 * callers must not mutate them (copy with the kind's `fromPartial` first).
 */
export interface Lister<T extends ApiObject> {
  get(namespace: string, name: string): T | undefined;
  getByKey(key: string): T | undefined;
  list(): T[];
  listByNamespace(namespace: string): T[];
  /** Objects whose labels match; `selector` is a label selector string or a LabelSelector. */
  listBySelector(selector: string | LabelSelector, namespace?: string): T[];
  byIndex(index: string, value: string): T[];
  keys(): string[];
  readonly size: number;
}

/** The mutable cache behind a Lister; only its informer writes to it. */
export class Indexer<T extends ApiObject> implements Lister<T> {
  private readonly items = new Map<string, T>();
  private readonly indexFuncs = new Map<string, IndexFunc<T>>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.addIndex("namespace", byNamespace);
    this.addIndex("owner", byOwnerUid);
    this.addIndex("label", byLabel);
    for (const [name, fn] of Object.entries(indexers)) this.addIndex(name, fn);
  }

  addIndex(name: string, fn: IndexFunc<T>): void {
    this.indexFuncs.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indexes.set(name, index);
    for (const [key, obj] of this.items) for (const v of fn(obj)) addTo(index, v, key);
  }

  /** Stores `obj`, replacing any object with its key; returns the replaced one. */
  upsert(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexFuncs) for (const v of fn(obj)) addTo(this.indexes.get(name)!, v, key);
    return old;
  }

  remove(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexFuncs) {
      const index = this.indexes.get(name)!;
      for (const v of fn(obj)) {
        const set = index.get(v);
        set?.delete(key);
        if (set?.size === 0) index.delete(v);
      }
    }
  }

  get(namespace: string, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  listByNamespace(namespace: string): T[] {
    return this.byIndex("namespace", namespace);
  }

  listBySelector(selector: string | LabelSelector, namespace?: string): T[] {
    const sel = typeof selector === "string" ? parseLabelSelector(selector) : selector;
    const pool = namespace === undefined ? this.list() : this.listByNamespace(namespace);
    return pool.filter((o) => sel.matches(o.metadata?.labels));
  }

  byIndex(index: string, value: string): T[] {
    const keys = this.indexes.get(index)?.get(value);
    if (!keys) {
      if (!this.indexes.has(index)) throw new Error(`no index named "${index}"`);
      return [];
    }
    return [...keys].map((k) => this.items.get(k)!);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  get size(): number {
    return this.items.size;
  }
}

function addTo(index: Map<string, Set<string>>, value: string, key: string): void {
  let set = index.get(value);
  if (!set) index.set(value, (set = new Set()));
  set.add(key);
}

