// PodTopologySpread: keeps matching pods spread across topology domains within maxSkew (kube-scheduler's podtopologyspread).
import { labelSelectorFromObject } from "@kubeplane/api";
import type { LabelSelector, LabelSelectorExpression, LabelSelectorObject } from "@kubeplane/api";
import { MAX_NODE_SCORE, SKIP, SUCCESS, errorStatus, unresolvable, unschedulable } from "../framework/interface.js";
import type {
  ClusterEvent,
  CycleState,
  FilterPlugin,
  Node,
  NodeInfo,
  PluginFactory,
  PluginHandle,
  Pod,
  PodInfo,
  PreFilterPlugin,
  PreFilterResult,
  PreScorePlugin,
  ScorePlugin,
  Snapshot,
  Status,
} from "../framework/interface.js";
import { RequiredNodeAffinity } from "./helper/node-affinity.js";
import { tolerationsTolerateTaint } from "./helper/taints.js";

export const NAME = "PodTopologySpread";
export const ERR_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_MISSING_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)";

const HOSTNAME_KEY = "kubernetes.io/hostname";
const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;

/** A TopologySpreadConstraint resolved once per pod. */
export interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly selector: LabelSelector;
  readonly minDomains: number;
  /** nodeAffinityPolicy Honor (the default): only nodes passing the pod's nodeSelector/affinity count. */
  readonly honorNodeAffinity: boolean;
  /** nodeTaintsPolicy Honor (default Ignore): only nodes whose NoSchedule/NoExecute taints the pod tolerates count. */
  readonly honorNodeTaints: boolean;
}

interface PreFilterState {
  readonly constraints: readonly SpreadConstraint[];
  /** Per constraint: topology value → matching pods, over every eligible domain (0 included). */
  readonly counts: readonly Map<string, number>[];
  /** Per constraint: the global minimum, 0 when there are fewer domains than minDomains (kube-scheduler). */
  readonly mins: readonly number[];
}

interface PreScoreState {
  readonly constraints: readonly SpreadConstraint[];
  /** Per constraint: topology value → matching pods (unused for the hostname key, counted per node). */
  readonly counts: readonly Map<string, number>[];
  /** Per constraint: log(domains + 2), so a key with many domains does not dominate. */
  readonly weights: readonly number[];
  /** Filtered nodes missing a constraint's topology key: they score 0. */
  readonly ignored: ReadonlySet<string>;
}

/** The pod's constraints with `whenUnsatisfiable`; throws SelectorParseError on an invalid selector. */
export function spreadConstraints(pod: Pod, whenUnsatisfiable: "DoNotSchedule" | "ScheduleAnyway"): SpreadConstraint[] {
  const labels = pod.metadata?.labels ?? {};
  return (pod.spec?.topologySpreadConstraints ?? [])
    .filter((c) => c.whenUnsatisfiable === whenUnsatisfiable)
    .map((c) => {
      const extra: LabelSelectorExpression[] = c.matchLabelKeys.flatMap((key) => (key in labels ? [{ key, operator: "In" as const, values: [labels[key]!] }] : []));
      const base = c.labelSelector as LabelSelectorObject | undefined;
      return {
        maxSkew: c.maxSkew,
        topologyKey: c.topologyKey,
        selector: labelSelectorFromObject(base && extra.length ? { ...base, matchExpressions: [...(base.matchExpressions ?? []), ...extra] } : base),
        minDomains: c.minDomains ?? 1,
        honorNodeAffinity: (c.nodeAffinityPolicy || "Honor") === "Honor",
        honorNodeTaints: c.nodeTaintsPolicy === "Honor",
      };
    });
}

/** Whether `node` counts for constraint `c` (kube-scheduler's node inclusion policies). */
function includesNode(c: SpreadConstraint, pod: Pod, affinity: RequiredNodeAffinity, node: Node): boolean {
  if (c.honorNodeAffinity && !affinity.match(node)) return false;
  if (c.honorNodeTaints) {
    const tolerations = pod.spec?.tolerations ?? [];
    for (const taint of node.spec?.taints ?? []) {
      if ((taint.effect === "NoSchedule" || taint.effect === "NoExecute") && !tolerationsTolerateTaint(tolerations, taint)) return false;
    }
  }
  return true;
}

const hasAllKeys = (labels: Readonly<Record<string, string>>, cs: readonly SpreadConstraint[]): boolean => cs.every((c) => c.topologyKey in labels);

/** Pods on `node` in `namespace` matched by `selector`; terminating pods do not count. */
function countMatching(node: NodeInfo, selector: LabelSelector, namespace: string): number {
  let n = 0;
  for (const p of node.pods) {
    const m = p.pod.metadata;
    if (!m?.deletionTimestamp && m?.namespace === namespace && selector.matches(m.labels)) n++;
  }
  return n;
}

export class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NAME;

  /** Domain counts change with matching pods and with nodes and their labels. */
  eventsToRegister(): readonly ClusterEvent[] {
    return ["AssignedPodAdd", "AssignedPodUpdate", "AssignedPodDelete", "NodeAdd", "NodeUpdate"];
  }

  constructor(_args?: Record<string, unknown>, _handle?: PluginHandle) {}

  /** Counts matching pods per domain over the nodes that pass the pod's node inclusion policies. */
  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot): PreFilterResult {
    let constraints: SpreadConstraint[];
    try {
      constraints = spreadConstraints(pod.pod, "DoNotSchedule");
    } catch (err) {
      return { status: unresolvable(`invalid topology spread constraint: ${(err as Error).message}`) };
    }
    if (constraints.length === 0) return { status: SKIP };
    const namespace = pod.pod.metadata?.namespace ?? "";
    const affinity = new RequiredNodeAffinity(pod.pod);
    const counts = constraints.map(() => new Map<string, number>());
    for (const node of snapshot.list()) {
      const labels = node.node.metadata?.labels ?? {};
      if (!hasAllKeys(labels, constraints)) continue;
      constraints.forEach((c, i) => {
        if (!includesNode(c, pod.pod, affinity, node.node)) return;
        const value = labels[c.topologyKey]!;
        counts[i]!.set(value, (counts[i]!.get(value) ?? 0) + countMatching(node, c.selector, namespace));
      });
    }
    state.write(PRE_FILTER_KEY, { constraints, counts, mins: minimums(constraints, counts) } satisfies PreFilterState);
    return { status: SUCCESS };
  }

  /** PreFilter extension: the counts as if `podToAdd` ran on `node` (a nominated pod, a reprieved victim). */
  addPod(state: CycleState, podToSchedule: PodInfo, podToAdd: PodInfo, node: NodeInfo): Status {
    return updateWithPod(state, podToSchedule, podToAdd, node, 1);
  }

  /** PreFilter extension: the counts as if `podToRemove` left `node` (a preemption victim). */
  removePod(state: CycleState, podToSchedule: PodInfo, podToRemove: PodInfo, node: NodeInfo): Status {
    return updateWithPod(state, podToSchedule, podToRemove, node, -1);
  }

  /** skew = matching pods in the node's domain + the pod itself − the global minimum; must stay ≤ maxSkew. */
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return errorStatus(`${NAME}: no PreFilter state`);
    const labels = node.node.metadata?.labels ?? {};
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      const value = labels[c.topologyKey];
      if (value === undefined) return unresolvable(ERR_MISSING_LABEL);
      const self = c.selector.matches(pod.pod.metadata?.labels) ? 1 : 0;
      if ((s.counts[i]!.get(value) ?? 0) + self - s.mins[i]! > c.maxSkew) return unschedulable(ERR_CONSTRAINTS_NOT_MATCH);
    }
    return SUCCESS;
  }

  /**
   * Counts matching pods per domain of the filtered nodes, over every node that passes the
   * inclusion policies. Only the pod's own ScheduleAnyway constraints are used: kube-scheduler's
   * system default constraints (spreading by Service/ReplicaSet) are not applied.
   */
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snapshot: Snapshot): Status {
    let constraints: SpreadConstraint[];
    try {
      constraints = spreadConstraints(pod.pod, "ScheduleAnyway");
    } catch (err) {
      return errorStatus(`invalid topology spread constraint: ${(err as Error).message}`);
    }
    if (constraints.length === 0) return SKIP;
    const ignored = new Set<string>();
    const counts = constraints.map(() => new Map<string, number>());
    let eligible = 0;
    for (const node of nodes) {
      const labels = node.node.metadata?.labels ?? {};
      if (!hasAllKeys(labels, constraints)) {
        ignored.add(node.name);
        continue;
      }
      eligible++;
      constraints.forEach((c, i) => {
        if (c.topologyKey !== HOSTNAME_KEY) counts[i]!.set(labels[c.topologyKey]!, 0);
      });
    }
    const weights = constraints.map((c, i) => Math.log((c.topologyKey === HOSTNAME_KEY ? eligible : counts[i]!.size) + 2));
    const namespace = pod.pod.metadata?.namespace ?? "";
    const affinity = new RequiredNodeAffinity(pod.pod);
    for (const node of snapshot.list()) {
      const labels = node.node.metadata?.labels ?? {};
      if (!hasAllKeys(labels, constraints)) continue;
      constraints.forEach((c, i) => {
        const value = labels[c.topologyKey]!;
        const domain = counts[i]!;
        if (c.topologyKey === HOSTNAME_KEY || !domain.has(value) || !includesNode(c, pod.pod, affinity, node.node)) return;
        domain.set(value, domain.get(value)! + countMatching(node, c.selector, namespace));
      });
    }
    state.write(PRE_SCORE_KEY, { constraints, counts, weights, ignored } satisfies PreScoreState);
    return SUCCESS;
  }

  /** Higher is worse here: weighted matching pods in the node's domains; normalizeScores reverses it. */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s || s.ignored.has(node.name)) return 0;
    const labels = node.node.metadata?.labels ?? {};
    const namespace = pod.pod.metadata?.namespace ?? "";
    let score = 0;
    s.constraints.forEach((c, i) => {
      const value = labels[c.topologyKey];
      if (value === undefined) return;
      const count = c.topologyKey === HOSTNAME_KEY ? countMatching(node, c.selector, namespace) : (s.counts[i]!.get(value) ?? 0);
      score += count * s.weights[i]! + (c.maxSkew - 1);
    });
    return Math.round(score);
  }

  /** Reverses to 0..MAX_NODE_SCORE: the fewest matching pods score highest; ignored nodes score 0. */
  normalizeScores(state: CycleState, _pod: PodInfo, scores: Float64Array, nodes: readonly NodeInfo[]): void {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s) return;
    let min = Infinity;
    let max = 0;
    for (let i = 0; i < scores.length; i++) {
      if (s.ignored.has(nodes[i]!.name)) continue;
      min = Math.min(min, scores[i]!);
      max = Math.max(max, scores[i]!);
    }
    for (let i = 0; i < scores.length; i++) {
      if (s.ignored.has(nodes[i]!.name)) scores[i] = 0;
      else if (max === 0) scores[i] = MAX_NODE_SCORE;
      else scores[i] = Math.floor((MAX_NODE_SCORE * (max + min - scores[i]!)) / max);
    }
  }
}

/** Each constraint's global minimum: 0 when there are fewer domains than minDomains (kube-scheduler). */
function minimums(constraints: readonly SpreadConstraint[], counts: readonly Map<string, number>[]): number[] {
  return constraints.map((c, i) => (counts[i]!.size === 0 || counts[i]!.size < c.minDomains ? 0 : Math.min(...counts[i]!.values())));
}

/**
 * kube-scheduler's preFilterState.updateWithPod: a pod of the same namespace on an eligible node
 * moves its domain's count by `delta` for each constraint selecting it. Copy-on-write: the old
 * state may be shared by a cloned CycleState.
 */
function updateWithPod(state: CycleState, incoming: PodInfo, other: PodInfo, node: NodeInfo, delta: 1 | -1): Status {
  const s = state.read<PreFilterState>(PRE_FILTER_KEY);
  if (!s) return errorStatus(`${NAME}: no PreFilter state`);
  const m = other.pod.metadata;
  // Terminating pods were not counted by PreFilter, so they are not counted here either.
  if (m?.deletionTimestamp || m?.namespace !== incoming.pod.metadata?.namespace) return SUCCESS;
  const labels = node.node.metadata?.labels ?? {};
  if (!hasAllKeys(labels, s.constraints)) return SUCCESS;
  const affinity = new RequiredNodeAffinity(incoming.pod);
  const counts = s.counts.map((domain, i) => {
    const c = s.constraints[i]!;
    const value = labels[c.topologyKey]!;
    if (!domain.has(value) || !c.selector.matches(m?.labels) || !includesNode(c, incoming.pod, affinity, node.node)) return domain;
    return new Map(domain).set(value, Math.max(0, domain.get(value)! + delta));
  });
  state.write(PRE_FILTER_KEY, { constraints: s.constraints, counts, mins: minimums(s.constraints, counts) } satisfies PreFilterState);
  return SUCCESS;
}

/** The registry's constructor of PodTopologySpread. */
export const newPodTopologySpread: PluginFactory = (args, handle) => new PodTopologySpread(args, handle) satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin;
