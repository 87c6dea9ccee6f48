// The per-cycle Snapshot: copies of the cache's NodeInfos, re-copied only when their generation changed.
import type { NodeInfo, Snapshot } from "./interface.js";
import type { MutableNodeInfo } from "./node-info.js";

/**
 * A consistent view of the cluster for one scheduling cycle. The scheduler cache refreshes it
 * (`SchedulerCache.updateSnapshot`) before each cycle; NodeInfos whose generation did not change
 * keep their copy, so a cycle costs O(changed nodes) copies. Plugins only read it.
 */
export class NodeSnapshot implements Snapshot {
  /** node name → copy. */
  readonly infos = new Map<string, MutableNodeInfo>();
  /** Where this snapshot stands in its SchedulerCache's change tracking (the cache's to read and set). */
  cacheNodeSetGeneration = -1;
  cacheChangeLogEpoch = -1;
  cacheChangeLogPosition = 0;
  private nodes: MutableNodeInfo[] = [];
  /** node name → its index in `nodes`. */
  private readonly index = new Map<string, number>();
  private withAffinity: MutableNodeInfo[] = [];
  private withRequiredAntiAffinity: MutableNodeInfo[] = [];

  list(): readonly NodeInfo[] {
    return this.nodes;
  }
  get(nodeName: string): NodeInfo | undefined {
    return this.infos.get(nodeName);
  }
  get numNodes(): number {
    return this.nodes.length;
  }
  havePodsWithAffinity(): readonly NodeInfo[] {
    return this.withAffinity;
  }
  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[] {
    return this.withRequiredAntiAffinity;
  }

  /** Rebuilds the lists after `infos` changed, keeping the cache's node order (stable rotation). */
  rebuild(order: Iterable<string>): void {
    this.nodes = [];
    this.index.clear();
    for (const name of order) {
      const info = this.infos.get(name);
      if (!info) continue;
      this.index.set(name, this.nodes.length);
      this.nodes.push(info);
    }
    this.rebuildAffinityLists();
  }

  /**
   * Puts a fresh copy of a node already in the snapshot in place of the old one (same position).
   * O(1), unless either copy has pods with (anti-)affinity: then those short lists are rebuilt.
   */
  replace(copy: MutableNodeInfo): void {
    const i = this.index.get(copy.name);
    const old = i === undefined ? undefined : this.nodes[i];
    if (i === undefined || !old) throw new Error(`snapshot has no node ${copy.name} to replace`);
    this.nodes[i] = copy;
    this.infos.set(copy.name, copy);
    const affinityChanged =
      old.podsWithAffinity.length + copy.podsWithAffinity.length + old.podsWithRequiredAntiAffinity.length + copy.podsWithRequiredAntiAffinity.length > 0;
    if (affinityChanged) this.rebuildAffinityLists();
  }

  private rebuildAffinityLists(): void {
    this.withAffinity = [];
    this.withRequiredAntiAffinity = [];
    for (const info of this.nodes) {
      if (info.podsWithAffinity.length) this.withAffinity.push(info);
      if (info.podsWithRequiredAntiAffinity.length) this.withRequiredAntiAffinity.push(info);
    }
  }
}

/** A snapshot of fixed NodeInfos (tests, tools). */
export function snapshotOf(infos: readonly MutableNodeInfo[]): NodeSnapshot {
  const s = new NodeSnapshot();
  for (const info of infos) s.infos.set(info.name, info);
  s.rebuild(infos.map((i) => i.name));
  return s;
}
