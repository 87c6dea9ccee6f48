// Opportunistic batching (KEP-5598): a pod whose signature matches a recent cycle's reuses that cycle's filtered and scored nodes.
import type { Framework, ScoreResult } from "./framework.js";
import { Code, isSuccess, type CycleState, type NodeInfo, type PodInfo, type Snapshot } from "./interface.js";

interface Entry {
  info: NodeInfo;
  total: number;
  /** Weighted score per Score plugin, index-aligned with the framework's `plugins.score`. */
  scores: Float64Array;
}

/** The feasible nodes of one full cycle, best first, kept current node by node. */
interface Batch {
  fwk: Framework;
  /** Best first; ties keep no particular order. */
  entries: Entry[];
  byName: Map<string, Entry>;
  /** The best total when the batch was made: once the best left falls below it, a full cycle may find better. */
  bestTotal: number;
  /** Nodes changed since the batch was last brought up to date. */
  changed: Set<string>;
}

export type BatchPick = { nodeName: string } | { miss: string };

/** At most this many signatures are remembered (pods of a few workloads interleave in the queue). */
const MAX_BATCHES = 8;

/**
 * Keeps, per pod signature (podSignature), the scored feasible nodes of the last full cycle of a
 * pod with that signature, and serves the next pods of that signature from it. Before each use,
 * every node of the batch that changed since (the scheduler cache reports it: the node just
 * taken, bindings confirmed, other pods) is filtered again and, when it still fits, scored again
 * — plugins that normalise over all nodes keep the batch's value — so a cycle costs the nodes
 * that changed, not the cluster. A batch is dropped, and the pod gets a full cycle, when the node
 * set changed, a changed node's Node object or its pods with affinity changed, PreFilter narrows
 * the nodes or fails, pods are nominated anywhere, or the best node left scores below the batch's
 * original best (a full cycle, which moves on through the cluster, may then find better). Single-threaded.
 */
export class OpportunisticBatching {
  private readonly batches = new Map<string, Batch>();
  /** Picks served from a batch and full cycles that had a signature (the bench and tests read them). */
  hits = 0;
  misses = 0;

  constructor(private readonly random: () => number = Math.random) {}

  /** After each snapshot update: the nodes it re-copied, or undefined when it was rebuilt (node set changed). */
  observeChanges(changed: readonly string[] | undefined): void {
    if (this.batches.size === 0) return;
    if (!changed) {
      this.batches.clear();
      return;
    }
    for (const b of this.batches.values()) {
      for (const name of changed) if (b.byName.has(name)) b.changed.add(name);
    }
  }

  /** Forgets every batch (pods were nominated, the profile changed, …). */
  clear(): void {
    this.batches.clear();
  }

  /**
   * A node for `pod` (signature `signature`) from its batch, with `state` prepared by this
   * cycle's PreFilter and PreScore; `{miss}` (with why) when the pod needs a full cycle.
   */
  pick(fwk: Framework, state: CycleState, pod: PodInfo, signature: string, snapshot: Snapshot): BatchPick {
    const b = this.batches.get(signature);
    if (!b) return this.miss("no batch");
    if (b.fwk !== fwk) return this.drop(signature, "other profile");
    const pre = fwk.runPreFilterPlugins(state, pod, snapshot);
    if (!isSuccess(pre.status) || pre.nodeNames) return this.drop(signature, "prefilter");
    const rescore: Entry[] = [];
    for (const name of b.changed) {
      const old = b.byName.get(name);
      if (!old) continue;
      b.byName.delete(name);
      removeEntry(b.entries, old);
      const info = snapshot.get(name);
      if (!info) continue;
      if (info.node !== old.info.node || info.podsWithAffinity.length !== old.info.podsWithAffinity.length) return this.drop(signature, "node changed");
      const s = fwk.runFilterPluginsWithNominatedPods(state, pod, info);
      if (s.code === Code.Error) return this.drop(signature, "filter error");
      if (isSuccess(s)) rescore.push({ info, total: 0, scores: old.scores });
    }
    b.changed.clear();
    if (rescore.length > 0) {
      if (!isSuccess(fwk.runPreScorePlugins(state, pod, rescore.map((e) => e.info), snapshot))) return this.drop(signature, "prescore");
      for (const e of rescore) {
        const r = fwk.rescoreNode(state, pod, e.info, e.scores);
        if (!isSuccess(r.status)) return this.drop(signature, "score error");
        e.scores = r.scores;
        e.total = r.total;
        insertEntry(b.entries, e);
        b.byName.set(e.info.name, e);
      }
    }
    const best = b.entries[0];
    if (!best || best.total < b.bestTotal) return this.drop(signature, "exhausted");
    // Ties at random, as the full cycle's selectHost.
    let ties = 1;
    while (ties < b.entries.length && b.entries[ties]!.total === best.total) ties++;
    this.hits++;
    return { nodeName: b.entries[Math.floor(this.random() * ties)]!.info.name };
  }

  /** After a full cycle of a pod with `signature` scored `nodes` (result index-aligned): they become its batch. */
  record(fwk: Framework, signature: string, nodes: readonly NodeInfo[], result: ScoreResult): void {
    const index = new Map(fwk.plugins.score.map((s, i) => [s.plugin.name, i]));
    const entries: Entry[] = nodes.map((info, i) => {
      const scores = new Float64Array(fwk.plugins.score.length);
      for (const p of result.byPlugin) scores[index.get(p.plugin)!] = p.scores[i]!;
      return { info, total: result.totals[i]!, scores };
    });
    entries.sort((a, b) => b.total - a.total);
    this.batches.delete(signature);
    if (this.batches.size >= MAX_BATCHES) this.batches.delete(this.batches.keys().next().value!);
    this.batches.set(signature, { fwk, entries, byName: new Map(entries.map((e) => [e.info.name, e])), bestTotal: entries[0]?.total ?? 0, changed: new Set() });
  }

  private miss(why: string): BatchPick {
    this.misses++;
    return { miss: why };
  }

  private drop(signature: string, why: string): BatchPick {
    this.batches.delete(signature);
    return this.miss(why);
  }
}

/** Index of the first entry whose total is below `total` (entries are best first). */
function firstBelow(entries: readonly Entry[], total: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.total >= total) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertEntry(entries: Entry[], e: Entry): void {
  entries.splice(firstBelow(entries, e.total), 0, e);
}

function removeEntry(entries: Entry[], e: Entry): void {
  const i = entries.indexOf(e);
  if (i >= 0) entries.splice(i, 1);
}
