// DefaultPreemption: when no node fits, evicts the fewest, lowest-priority pods that make room (kube-scheduler's defaultpreemption).
import { Code, errorStatus, unschedulable } from "../framework/interface.js";
import type {
  CycleState,
  NodeInfo,
  PluginFactory,
  PluginHandle,
  Pod,
  PodInfo,
  PostFilterPlugin,
  PostFilterResult,
  Snapshot,
  Status,
} from "../framework/interface.js";
import { MutableNodeInfo } from "../framework/node-info.js";

export const NAME = "DefaultPreemption";
export const PREEMPTED = "preempted victims";
export const ERR_NO_VICTIMS = "No preemption victims found for incoming pod";
export const ERR_NOT_HELPFUL = "Preemption is not helpful for scheduling";

export interface DefaultPreemptionArgs {
  /** Stop simulating once this share of nodes yielded candidates (kube-scheduler: 10)… */
  minCandidateNodesPercentage: number;
  /** …but not before this many candidates (kube-scheduler: 100). */
  minCandidateNodesAbsolute: number;
}

/** A node preemption could free, with the pods it would evict there. */
export interface Candidate {
  readonly nodeName: string;
  /** Highest priority first. */
  readonly victims: readonly PodInfo[];
}

export const priorityOf = (pod: Pod): number => pod.spec?.priority ?? 0;
const isTerminating = (pod: Pod): boolean => Boolean(pod.metadata?.deletionTimestamp);

/** kube-scheduler's GetPodStartTime: a pod not started yet counts as starting now. */
function startTimeOf(pod: Pod): number {
  const t = Date.parse(pod.status?.startTime ?? "");
  return Number.isNaN(t) ? Date.now() : t;
}

/** kube-scheduler's MoreImportantPod: higher priority, then the one running longer. */
function moreImportantFirst(a: PodInfo, b: PodInfo): number {
  return priorityOf(b.pod) - priorityOf(a.pod) || startTimeOf(a.pod) - startTimeOf(b.pod);
}

/** The lexicographic keys of kube-scheduler's pickOneNodeForPreemption, smaller wins. */
function rank(c: Candidate): [number, number, number, number] {
  if (c.victims.length === 0) return [-Infinity, 0, 0, -Infinity];
  const highest = priorityOf(c.victims[0]!.pod);
  // Offset by 2^31 so negative priorities still add up to more victims meaning a larger sum.
  const sum = c.victims.reduce((s, v) => s + priorityOf(v.pod) + 2 ** 31, 0);
  const earliestOfHighest = Math.min(...c.victims.filter((v) => priorityOf(v.pod) === highest).map((v) => startTimeOf(v.pod)));
  return [highest, sum, c.victims.length, -earliestOfHighest];
}

/** The candidate kube-scheduler would pick: lowest highest victim, lowest sum, fewest victims, latest start. */
export function pickCandidate(candidates: readonly Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  let bestRank: number[] = [];
  for (const c of candidates) {
    const r = rank(c);
    const i = r.findIndex((v, k) => v !== bestRank[k]);
    if (!best || (i >= 0 && r[i]! < bestRank[i]!)) {
      best = c;
      bestRank = r;
    }
  }
  return best;
}

export class DefaultPreemption implements PostFilterPlugin {
  readonly name = NAME;
  private readonly args: DefaultPreemptionArgs;

  constructor(
    args: Partial<DefaultPreemptionArgs> | undefined,
    private readonly handle: PluginHandle,
  ) {
    this.args = {
      minCandidateNodesPercentage: args?.minCandidateNodesPercentage ?? 10,
      minCandidateNodesAbsolute: args?.minCandidateNodesAbsolute ?? 100,
    };
  }

  async postFilter(
    state: CycleState,
    pod: PodInfo,
    snapshot: Snapshot,
    statuses: ReadonlyMap<string, Status>,
    signal: AbortSignal,
  ): Promise<PostFilterResult> {
    const notEligible = this.notEligibleReason(pod.pod, snapshot);
    if (notEligible) return { status: unschedulable(notEligible) };

    const { candidates, noVictims, notHelpful } = this.findCandidates(state, pod, snapshot, statuses);
    const best = pickCandidate(candidates);
    if (!best) {
      const parts = [noVictims && `${noVictims} ${ERR_NO_VICTIMS}`, notHelpful && `${notHelpful} ${ERR_NOT_HELPFUL}`].filter(Boolean);
      return { status: unschedulable(`preemption: 0/${snapshot.numNodes} nodes are available: ${parts.join(", ")}.`) };
    }
    if (signal.aborted) return { status: errorStatus("preemption: aborted") };
    const who = pod.key;
    try {
      await Promise.all(best.victims.map((v) => this.handle.evict(v.pod, `Preempted by ${who} on node ${best.nodeName}`)));
      await this.handle.nominate(pod.pod, best.nodeName);
    } catch (err) {
      return { status: errorStatus(`preemption on node ${best.nodeName}: ${(err as Error).message}`) };
    }
    return { status: unschedulable(PREEMPTED), nominatedNodeName: best.nodeName };
  }

  /** kube-scheduler's PodEligibleToPreemptOthers. */
  private notEligibleReason(pod: Pod, snapshot: Snapshot): string | undefined {
    if (pod.spec?.preemptionPolicy === "Never") return "not eligible due to preemptionPolicy=Never.";
    // Victims evicted for this pod earlier are still leaving: wait for them instead of evicting more.
    const nominated = pod.status?.nominatedNodeName ? snapshot.get(pod.status.nominatedNodeName) : undefined;
    if (nominated?.pods.some((p) => isTerminating(p.pod) && priorityOf(p.pod) < priorityOf(pod))) {
      return "not eligible due to a terminating pod on the nominated node.";
    }
    return undefined;
  }

  /** Simulates preemption on each node that failed for a reason removing pods could fix. */
  private findCandidates(state: CycleState, pod: PodInfo, snapshot: Snapshot, statuses: ReadonlyMap<string, Status>) {
    const nodes = snapshot.list();
    const wanted = Math.min(nodes.length, Math.max(Math.floor((nodes.length * this.args.minCandidateNodesPercentage) / 100), this.args.minCandidateNodesAbsolute));
    // A random start spreads preemptions over the cluster when only part of it is simulated.
    const offset = nodes.length ? Math.floor(Math.random() * nodes.length) : 0;
    const candidates: Candidate[] = [];
    let noVictims = 0;
    let notHelpful = 0;
    for (let k = 0; k < nodes.length && candidates.length < wanted; k++) {
      const node = nodes[(offset + k) % nodes.length]!;
      if (statuses.get(node.name)?.code !== Code.Unschedulable) {
        notHelpful++;
        continue;
      }
      const victims = this.selectVictimsOnNode(state, pod, node);
      if (victims) candidates.push({ nodeName: node.name, victims });
      else noVictims++;
    }
    return { candidates, noVictims, notHelpful };
  }

  /**
   * kube-scheduler's SelectVictimsOnNode: remove every lower-priority pod from a copy of the node;
   * if the pod then fits, add them back most important first, keeping each that still lets it fit
   * (the reprieve). Lower-priority pods already terminating are removed but never victims.
   * Returns the victims, highest priority first, or undefined when the pod cannot fit.
   */
  private selectVictimsOnNode(cycleState: CycleState, pod: PodInfo, node: NodeInfo): PodInfo[] | undefined {
    // PreFilter state (anti-affinity and spread counts) follows each removal on a copy of its own.
    const state = cycleState.clone();
    const copy = node instanceof MutableNodeInfo ? node.clone() : MutableNodeInfo.from(node);
    const priority = priorityOf(pod.pod);
    const potential: PodInfo[] = [];
    for (const p of node.pods) {
      if (priorityOf(p.pod) >= priority) continue;
      copy.removePod(p.key);
      if (this.handle.runPreFilterRemovePod(state, pod, p, copy).code !== Code.Success) return undefined;
      if (!isTerminating(p.pod)) potential.push(p);
    }
    if (copy.pods.length === node.pods.length) return undefined;
    if (this.handle.runFilters(state, pod, copy).code !== Code.Success) return undefined;
    const victims: PodInfo[] = [];
    for (const p of potential.sort(moreImportantFirst)) {
      copy.addPod(p);
      if (this.handle.runPreFilterAddPod(state, pod, p, copy).code !== Code.Success) return undefined;
      if (this.handle.runFilters(state, pod, copy).code !== Code.Success) {
        copy.removePod(p.key);
        if (this.handle.runPreFilterRemovePod(state, pod, p, copy).code !== Code.Success) return undefined;
        victims.push(p);
      }
    }
    return victims;
  }
}

/** The registry's constructor of DefaultPreemption. */
export const newDefaultPreemption: PluginFactory = (args, handle) => new DefaultPreemption(args as Partial<DefaultPreemptionArgs> | undefined, handle) satisfies PostFilterPlugin;
