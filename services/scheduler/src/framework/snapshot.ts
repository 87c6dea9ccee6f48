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
  private nodes: MutableNodeInfo[] = [];
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
    this.withAffinity = [];
    this.withRequiredAntiAffinity = [];
    for (const name of order) {
      const info = this.infos.get(name);
      if (!info) continue;
      this.nodes.push(info);
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
