// Test support: records what an informer tells its handlers and fails on a change told twice.
import type { ApiObject } from "@kubeplane/api";
import { objectKey, type Informer } from "@kubeplane/client";

/** Per object key, the resourceVersion handlers last heard; violations collect a description. */
export class InformerTracker<T extends ApiObject> {
  readonly seen = new Map<string, number>();
  readonly violations: string[] = [];
  adds = 0;
  updates = 0;
  deletes = 0;

  constructor(informer: Informer<T>) {
    informer.addEventHandler({
      onAdd: (o) => {
        this.adds++;
        const key = objectKey(o);
        if (this.seen.has(key)) this.violations.push(`add of ${key} already present`);
        this.seen.set(key, Number(o.metadata!.resourceVersion));
      },
      onUpdate: (old, o) => {
        this.updates++;
        const key = objectKey(o);
        const last = this.seen.get(key);
        const rv = Number(o.metadata!.resourceVersion);
        if (last === undefined) this.violations.push(`update of unknown ${key}`);
        else if (rv <= last) this.violations.push(`update of ${key} to ${rv} after ${last} (told twice or out of order)`);
        if (Number(old.metadata!.resourceVersion) !== last) this.violations.push(`update of ${key}: old ${old.metadata!.resourceVersion} is not the last told ${last}`);
        this.seen.set(key, rv);
      },
      onDelete: (o) => {
        this.deletes++;
        const key = objectKey(o);
        if (!this.seen.has(key)) this.violations.push(`delete of unknown ${key}`);
        this.seen.delete(key);
      },
    });
  }
}

/** name → resourceVersion of a list, for comparing caches with the apiserver. */
export function versions(items: readonly ApiObject[]): Map<string, string> {
  return new Map(items.map((o) => [objectKey(o), o.metadata!.resourceVersion]));
}

export function sameVersions(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
