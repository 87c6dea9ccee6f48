// Remembers a controller's writes not yet in its informer cache, so a sync never plans on a cache older than its own writes (ApiObjectTracker).
import type { ApiObject } from "@kubeplane/api";

interface Pending {
  /** The resourceVersion the write returned; undefined for a delete. */
  resourceVersion: number | undefined;
  at: number;
}

/**
 * Per Service key, the objects (ApiObjects, Endpoints) a controller created, updated or
 * deleted that its informer may not show yet. The reconcile records each successful write and asks
 * `stale` before planning: planning on an older cache would create a second slice for endpoints
 * already placed, or update from an old resourceVersion only to meet a Conflict. resourceVersions are etcd revisions, so they compare as numbers.
 * Records older than `ttlMs` are dropped, so a lost event can never wedge a Service.
 * Single-threaded; a Service key is reconciled by one worker at a time.
 */
export class WriteTracker {
  private readonly pending = new Map<string, Map<string, Pending>>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** A create or update of an object of `serviceKey` returned `obj`. */
  written(serviceKey: string, obj: ApiObject): void {
    this.record(serviceKey).set(obj.metadata!.name, { resourceVersion: Number(obj.metadata!.resourceVersion), at: this.now() });
  }

  /** A delete of `obj` of `serviceKey` succeeded. */
  deleted(serviceKey: string, obj: ApiObject): void {
    this.record(serviceKey).set(obj.metadata!.name, { resourceVersion: undefined, at: this.now() });
  }

  /**
   * Whether the cache (`cached`: an object by name) still lags a write for `serviceKey`. Writes the
   * cache has caught up with, and expired ones, are forgotten.
   */
  stale(serviceKey: string, cached: (name: string) => ApiObject | undefined): boolean {
    const objects = this.pending.get(serviceKey);
    if (!objects) return false;
    for (const [name, p] of objects) {
      const obj = cached(name);
      const seen = p.resourceVersion === undefined ? !obj : obj !== undefined && Number(obj.metadata?.resourceVersion) >= p.resourceVersion;
      if (seen || this.now() - p.at > this.ttlMs) objects.delete(name);
    }
    if (objects.size === 0) this.pending.delete(serviceKey);
    return objects.size > 0;
  }

  /** The informer saw `obj` of `serviceKey` deleted: whatever was written to it is moot. */
  observedDeleted(serviceKey: string, obj: ApiObject): void {
    const objects = this.pending.get(serviceKey);
    objects?.delete(obj.metadata!.name);
    if (objects?.size === 0) this.pending.delete(serviceKey);
  }

  private record(serviceKey: string): Map<string, Pending> {
    let objects = this.pending.get(serviceKey);
    if (!objects) this.pending.set(serviceKey, (objects = new Map()));
    return objects;
  }
}
