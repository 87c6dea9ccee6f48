// InterPodAffinity: required and preferred pod affinity/anti-affinity by topology domain (kube-scheduler's interpodaffinity).
import { labelSelectorFromObject } from "@kubeplane/api";
import type { coreV1Pod, LabelSelector, LabelSelectorExpression, LabelSelectorObject } from "@kubeplane/api";
import {
  MAX_NODE_SCORE,
  SKIP,
  SUCCESS,
  errorStatus,
  unresolvable,
  unschedulable,
} from "../framework/interface.js";
import type {
  ClusterEvent,
  CycleState,
  FilterPlugin,
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

export const NAME = "InterPodAffinity";
export const ERR_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";

const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;

/** A PodAffinityTerm resolved once: which pods it selects and the topology it spans. */
export interface AffinityTerm {
  readonly selector: LabelSelector;
  /** Namespaces the term selects; ignored when `allNamespaces`. */
  readonly namespaces: ReadonlySet<string>;
  readonly allNamespaces: boolean;
  readonly topologyKey: string;
}

interface WeightedAffinityTerm extends AffinityTerm {
  readonly weight: number;
}

/** A pod's four term lists, parsed. */
interface ParsedAffinity {
  readonly requiredAffinity: readonly AffinityTerm[];
  readonly requiredAntiAffinity: readonly AffinityTerm[];
  readonly preferredAffinity: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinity: readonly WeightedAffinityTerm[];
}

/** topologyKey → topology value → count (or weight). */
type TopologyCounts = Map<string, Map<string, number>>;

interface PreFilterState {
  readonly terms: ParsedAffinity;
  /** Pods matching all of the incoming pod's required affinity terms, per domain of each term. */
  readonly affinityCounts: TopologyCounts;
  /** Pods matching each of the incoming pod's required anti-affinity terms, per domain. */
  readonly antiAffinityCounts: TopologyCounts;
  /** Existing pods whose required anti-affinity terms match the incoming pod, per domain. */
  readonly existingAntiAffinityCounts: TopologyCounts;
}

interface PreScoreState {
  readonly topologyScore: TopologyCounts;
}

export interface InterPodAffinityArgs {
  /** Weight of an existing pod's required affinity term that the incoming pod matches (kube-scheduler: 1). */
  hardPodAffinityWeight: number;
  /** Whether existing pods' preferred terms are ignored when scoring (kube-scheduler: false). */
  ignorePreferredTermsOfExistingPods: boolean;
}

function addCount(counts: TopologyCounts, key: string, value: string, n: number): void {
  let byValue = counts.get(key);
  if (!byValue) counts.set(key, (byValue = new Map()));
  byValue.set(value, (byValue.get(value) ?? 0) + n);
}

/** `counts` with `n` added to key/value, copied on write (the original may be shared by a cloned CycleState); zero counts are dropped. */
function withCount(counts: TopologyCounts, key: string, value: string, n: number): TopologyCounts {
  const out = new Map(counts);
  const byValue = new Map(out.get(key));
  const next = (byValue.get(value) ?? 0) + n;
  if (next === 0) byValue.delete(value);
  else byValue.set(value, next);
  if (byValue.size === 0) out.delete(key);
  else out.set(key, byValue);
  return out;
}

function countOf(counts: TopologyCounts, key: string, value: string): number {
  return counts.get(key)?.get(value) ?? 0;
}

function labelsOf(node: NodeInfo): Readonly<Record<string, string>> {
  return node.node.metadata?.labels ?? {};
}

/**
 * The term's selector with matchLabelKeys/mismatchLabelKeys folded in from the owning pod's labels;
 * namespaces default to the owner's. A non-empty namespaceSelector needs namespace labels, which the
 * handle does not offer yet: it selects no namespace beyond `namespaces`; an empty one selects all.
 */
function newAffinityTerm(owner: Pod, term: coreV1Pod.PodAffinityTerm): AffinityTerm {
  const labels = owner.metadata?.labels ?? {};
  const extra: LabelSelectorExpression[] = [];
  for (const key of term.matchLabelKeys) {
    if (key in labels) extra.push({ key, operator: "In", values: [labels[key]!] });
  }
  for (const key of term.mismatchLabelKeys) {
    if (key in labels) extra.push({ key, operator: "NotIn", values: [labels[key]!] });
  }
  const base = term.labelSelector as LabelSelectorObject | undefined;
  const selector = labelSelectorFromObject(
    base && extra.length ? { ...base, matchExpressions: [...(base.matchExpressions ?? []), ...extra] } : base,
  );
  const namespaces = new Set(term.namespaces);
  let allNamespaces = false;
  if (term.namespaceSelector) {
    allNamespaces = labelSelectorFromObject(term.namespaceSelector as LabelSelectorObject).empty;
  } else if (namespaces.size === 0) {
    namespaces.add(owner.metadata?.namespace ?? "");
  }
  return { selector, namespaces, allNamespaces, topologyKey: term.topologyKey };
}

function weighted(owner: Pod, terms: readonly coreV1Pod.WeightedPodAffinityTerm[]): WeightedAffinityTerm[] {
  return terms.flatMap((t) => (t.podAffinityTerm ? [{ ...newAffinityTerm(owner, t.podAffinityTerm), weight: t.weight }] : []));
}

// Pods are immutable in the cache (an update is a new object), so their parsed terms can be kept.
const parsedCache = new WeakMap<Pod, ParsedAffinity>();

/** The pod's parsed terms; throws SelectorParseError when a selector is invalid. */
export function parseAffinity(pod: Pod): ParsedAffinity {
  let parsed = parsedCache.get(pod);
  if (parsed) return parsed;
  const a = pod.spec?.affinity;
  parsed = {
    requiredAffinity: (a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => newAffinityTerm(pod, t)),
    requiredAntiAffinity: (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => newAffinityTerm(pod, t)),
    preferredAffinity: weighted(pod, a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []),
    preferredAntiAffinity: weighted(pod, a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []),
  };
  parsedCache.set(pod, parsed);
  return parsed;
}

const NO_TERMS: ParsedAffinity = { requiredAffinity: [], requiredAntiAffinity: [], preferredAffinity: [], preferredAntiAffinity: [] };

/** An existing pod's terms; an invalid selector (validation should have refused it) counts as none. */
function existingAffinity(pod: Pod): ParsedAffinity {
  try {
    return parseAffinity(pod);
  } catch {
    return NO_TERMS;
  }
}

export function termMatches(term: AffinityTerm, pod: Pod): boolean {
  if (!term.allNamespaces && !term.namespaces.has(pod.metadata?.namespace ?? "")) return false;
  return term.selector.matches(pod.metadata?.labels);
}

const matchesAll = (terms: readonly AffinityTerm[], pod: Pod): boolean => terms.every((t) => termMatches(t, pod));

export class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NAME;

  /** Matching pods arriving or leaving, and topology labels, change the verdict. */
  eventsToRegister(): readonly ClusterEvent[] {
    return ["AssignedPodAdd", "AssignedPodUpdate", "AssignedPodDelete", "NodeAdd", "NodeUpdate"];
  }
  private readonly args: InterPodAffinityArgs;

  constructor(args: Partial<InterPodAffinityArgs> | undefined, _handle?: PluginHandle) {
    this.args = {
      hardPodAffinityWeight: args?.hardPodAffinityWeight ?? 1,
      ignorePreferredTermsOfExistingPods: args?.ignorePreferredTermsOfExistingPods ?? false,
    };
  }

  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot): PreFilterResult {
    let terms: ParsedAffinity;
    try {
      terms = parseAffinity(pod.pod);
    } catch (err) {
      return { status: unresolvable(`invalid pod affinity: ${(err as Error).message}`) };
    }
    const existingAntiAffinityCounts: TopologyCounts = new Map();
    for (const node of snapshot.havePodsWithRequiredAntiAffinity()) {
      const labels = labelsOf(node);
      for (const existing of node.podsWithRequiredAntiAffinity) {
        for (const term of existingAffinity(existing.pod).requiredAntiAffinity) {
          const value = labels[term.topologyKey];
          if (value !== undefined && termMatches(term, pod.pod)) addCount(existingAntiAffinityCounts, term.topologyKey, value, 1);
        }
      }
    }
    const affinityCounts: TopologyCounts = new Map();
    const antiAffinityCounts: TopologyCounts = new Map();
    if (terms.requiredAffinity.length === 0 && terms.requiredAntiAffinity.length === 0) {
      if (existingAntiAffinityCounts.size === 0) return { status: SKIP };
    } else {
      for (const node of snapshot.list()) {
        const labels = labelsOf(node);
        for (const existing of node.pods) {
          if (terms.requiredAffinity.length > 0 && matchesAll(terms.requiredAffinity, existing.pod)) {
            for (const term of terms.requiredAffinity) {
              const value = labels[term.topologyKey];
              if (value !== undefined) addCount(affinityCounts, term.topologyKey, value, 1);
            }
          }
          for (const term of terms.requiredAntiAffinity) {
            const value = labels[term.topologyKey];
            if (value !== undefined && termMatches(term, existing.pod)) addCount(antiAffinityCounts, term.topologyKey, value, 1);
          }
        }
      }
    }
    state.write(PRE_FILTER_KEY, { terms, affinityCounts, antiAffinityCounts, existingAntiAffinityCounts } satisfies PreFilterState);
    return { status: SUCCESS };
  }

  /** PreFilter extension: the counts as if `podToAdd` ran on `node` (a nominated pod, a reprieved victim). */
  addPod(state: CycleState, podToSchedule: PodInfo, podToAdd: PodInfo, node: NodeInfo): Status {
    return this.updateWithPod(state, podToSchedule, podToAdd, node, 1);
  }

  /** PreFilter extension: the counts as if `podToRemove` left `node` (a preemption victim). */
  removePod(state: CycleState, podToSchedule: PodInfo, podToRemove: PodInfo, node: NodeInfo): Status {
    return this.updateWithPod(state, podToSchedule, podToRemove, node, -1);
  }

  /** kube-scheduler's preFilterState.updateWithPod: adjusts the three counts by `delta` for one pod. */
  private updateWithPod(state: CycleState, incoming: PodInfo, other: PodInfo, node: NodeInfo, delta: 1 | -1): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return errorStatus(`${NAME}: no PreFilter state`);
    const labels = labelsOf(node);
    let { affinityCounts, antiAffinityCounts, existingAntiAffinityCounts } = s;
    for (const term of existingAffinity(other.pod).requiredAntiAffinity) {
      const value = labels[term.topologyKey];
      if (value !== undefined && termMatches(term, incoming.pod)) existingAntiAffinityCounts = withCount(existingAntiAffinityCounts, term.topologyKey, value, delta);
    }
    if (s.terms.requiredAffinity.length > 0 && matchesAll(s.terms.requiredAffinity, other.pod)) {
      for (const term of s.terms.requiredAffinity) {
        const value = labels[term.topologyKey];
        if (value !== undefined) affinityCounts = withCount(affinityCounts, term.topologyKey, value, delta);
      }
    }
    for (const term of s.terms.requiredAntiAffinity) {
      const value = labels[term.topologyKey];
      if (value !== undefined && termMatches(term, other.pod)) antiAffinityCounts = withCount(antiAffinityCounts, term.topologyKey, value, delta);
    }
    state.write(PRE_FILTER_KEY, { terms: s.terms, affinityCounts, antiAffinityCounts, existingAntiAffinityCounts } satisfies PreFilterState);
    return SUCCESS;
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return errorStatus(`${NAME}: no PreFilter state`);
    const labels = labelsOf(node);
    // Removing pods cannot make a node gain a label or a matching pod: preemption cannot help.
    if (!satisfiesAffinity(s, pod.pod, labels)) return unresolvable(ERR_AFFINITY);
    for (const term of s.terms.requiredAntiAffinity) {
      const value = labels[term.topologyKey];
      if (value !== undefined && countOf(s.antiAffinityCounts, term.topologyKey, value) > 0) return unschedulable(ERR_ANTI_AFFINITY);
    }
    for (const [key, byValue] of s.existingAntiAffinityCounts) {
      const value = labels[key];
      if (value !== undefined && (byValue.get(value) ?? 0) > 0) return unschedulable(ERR_EXISTING_ANTI_AFFINITY);
    }
    return SUCCESS;
  }

  preScore(state: CycleState, pod: PodInfo, _nodes: readonly NodeInfo[], snapshot: Snapshot): Status {
    let terms: ParsedAffinity;
    try {
      terms = parseAffinity(pod.pod);
    } catch (err) {
      return errorStatus(`invalid pod affinity: ${(err as Error).message}`);
    }
    const hasPreferred = terms.preferredAffinity.length > 0 || terms.preferredAntiAffinity.length > 0;
    // Without preferences of its own, only nodes holding pods with (anti-)affinity can matter.
    const nodes = hasPreferred ? snapshot.list() : snapshot.havePodsWithAffinity();
    if (nodes.length === 0) return SKIP;
    const topologyScore: TopologyCounts = new Map();
    const add = (term: AffinityTerm, labels: Readonly<Record<string, string>>, weight: number): void => {
      const value = labels[term.topologyKey];
      if (value !== undefined && weight !== 0) addCount(topologyScore, term.topologyKey, value, weight);
    };
    for (const node of nodes) {
      const labels = labelsOf(node);
      for (const existing of hasPreferred ? node.pods : node.podsWithAffinity) {
        for (const t of terms.preferredAffinity) if (termMatches(t, existing.pod)) add(t, labels, t.weight);
        for (const t of terms.preferredAntiAffinity) if (termMatches(t, existing.pod)) add(t, labels, -t.weight);
        const theirs = existingAffinity(existing.pod);
        for (const t of theirs.requiredAffinity) if (termMatches(t, pod.pod)) add(t, labels, this.args.hardPodAffinityWeight);
        if (this.args.ignorePreferredTermsOfExistingPods) continue;
        for (const t of theirs.preferredAffinity) if (termMatches(t, pod.pod)) add(t, labels, t.weight);
        for (const t of theirs.preferredAntiAffinity) if (termMatches(t, pod.pod)) add(t, labels, -t.weight);
      }
    }
    if (topologyScore.size === 0) return SKIP;
    state.write(PRE_SCORE_KEY, { topologyScore } satisfies PreScoreState);
    return SUCCESS;
  }

  /** The sum of the weights recorded for each of the node's topology domains. */
  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s) return 0;
    const labels = labelsOf(node);
    let sum = 0;
    for (const [key, byValue] of s.topologyScore) {
      const value = labels[key];
      if (value !== undefined) sum += byValue.get(value) ?? 0;
    }
    return sum;
  }

  /** Min-max to 0..MAX_NODE_SCORE; all equal scores become 0. */
  normalizeScores(state: CycleState, _pod: PodInfo, scores: Float64Array): void {
    if (!state.read<PreScoreState>(PRE_SCORE_KEY)) return;
    let min = Infinity;
    let max = -Infinity;
    for (const v of scores) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const diff = max - min;
    for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.floor((MAX_NODE_SCORE * (scores[i]! - min)) / diff) : 0;
  }
}

/**
 * Every required affinity term needs the node's topology label and a matching pod in that domain,
 * except for the first pod of a group that selects itself: when no pod anywhere matches and the
 * pod matches its own terms, any node carrying the topology labels will do (kube-scheduler's rule).
 */
function satisfiesAffinity(s: PreFilterState, pod: Pod, labels: Readonly<Record<string, string>>): boolean {
  let podsExist = true;
  for (const term of s.terms.requiredAffinity) {
    const value = labels[term.topologyKey];
    if (value === undefined) return false;
    if (countOf(s.affinityCounts, term.topologyKey, value) <= 0) podsExist = false;
  }
  return podsExist || (s.affinityCounts.size === 0 && matchesAll(s.terms.requiredAffinity, pod));
}

/** The registry's constructor of InterPodAffinity. */
export const newInterPodAffinity: PluginFactory = (args, handle) => new InterPodAffinity(args as Partial<InterPodAffinityArgs> | undefined, handle) satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin;
