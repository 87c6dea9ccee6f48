// NodeAffinity: a pod's nodeSelector and required node affinity rule nodes out; its preferred
// terms rank the rest (kube-scheduler's nodeaffinity, with component-helpers' node selector).
import type { coreV1Pod, coreV1Types } from "@kubeplane/api";
import { MAX_NODE_SCORE, SKIP, SUCCESS, errorStatus, unresolvable } from "../framework/interface.js";
import type {
  ClusterEvent,
  CycleState,
  FilterPlugin,
  NodeInfo,
  Pod,
  PluginFactory,
  PodInfo,
  PreFilterPlugin,
  PreFilterResult,
  PreScorePlugin,
  ScorePlugin,
  Status,
} from "../framework/interface.js";
import { OBJECT_NAME_FIELD, PreferredSchedulingTerms, RequiredNodeAffinity, compileNodeSelector, nodeLabelsOf, type Matcher } from "./helper/node-affinity.js";
import { defaultNormalizeScore } from "./helper/normalize-score.js";
import { InvalidPluginArgsError } from "./helper/plugin-args.js";

export const NODE_AFFINITY = "NodeAffinity";
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";
export const ERR_REASON_CONFLICT = "pod affinity terms conflict";
const PRE_FILTER_STATE_KEY = "PreFilter" + NODE_AFFINITY;
const PRE_SCORE_STATE_KEY = "PreScore" + NODE_AFFINITY;

type NodeSelectorTerm = coreV1Types.NodeSelectorTerm;

/**
 * The node names a required term pins (matchFields metadata.name In), united over the terms;
 * undefined when some term does not pin names, so every node stays a candidate.
 */
function pinnedNodeNames(terms: readonly NodeSelectorTerm[]): Set<string> | undefined {
  const union = new Set<string>();
  for (const term of terms) {
    let names: Set<string> | undefined;
    for (const r of term.matchFields) {
      if (r.key !== OBJECT_NAME_FIELD || r.operator !== "In") continue;
      // Requirements are ANDed, so a term's names are the intersection.
      names = names ? new Set(r.values.filter((v) => names!.has(v))) : new Set(r.values);
    }
    if (!names) return undefined;
    for (const n of names) union.add(n);
  }
  return union;
}

/** NodeAffinityArgs: affinity the scheduler enforces on every pod of the profile. */
export interface NodeAffinityArgs {
  addedAffinity?: coreV1Pod.NodeAffinity;
}

export class NodeAffinity {
  readonly name = NODE_AFFINITY;

  /** A node gaining labels (or a new one) may match. */
  eventsToRegister(): readonly ClusterEvent[] {
    return ["NodeAdd", "NodeUpdate"];
  }
  private readonly addedNodeSelector: Matcher | undefined;
  private readonly addedPreferred: PreferredSchedulingTerms | undefined;

  constructor(args: Record<string, unknown> | undefined) {
    const added = (args as NodeAffinityArgs | undefined)?.addedAffinity;
    const required = added?.requiredDuringSchedulingIgnoredDuringExecution;
    this.addedNodeSelector = required ? compileNodeSelector(required) : undefined;
    const preferred = added?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    if (preferred.length) {
      const compiled = PreferredSchedulingTerms.compile(preferred);
      if (typeof compiled === "string") throw new InvalidPluginArgsError(NODE_AFFINITY, `addedAffinity: ${compiled}`);
      this.addedPreferred = compiled;
    }
  }

  /** Skips pods without hard node constraints; pins the candidates when every required term names nodes. */
  preFilter(state: CycleState, pod: PodInfo): PreFilterResult {
    const spec = pod.pod.spec;
    const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    const hasNodeSelector = Object.keys(spec?.nodeSelector ?? {}).length > 0;
    if (!required && !this.addedNodeSelector && !hasNodeSelector) return { status: SKIP };
    state.write(PRE_FILTER_STATE_KEY, new RequiredNodeAffinity(pod.pod));
    if (!required || required.nodeSelectorTerms.length === 0) return { status: SUCCESS };
    const nodeNames = pinnedNodeNames(required.nodeSelectorTerms);
    if (!nodeNames) return { status: SUCCESS };
    // Every term pins names, but none survives the intersections: no node can match.
    if (nodeNames.size === 0) return { status: unresolvable(ERR_REASON_CONFLICT) };
    return { status: SUCCESS, nodeNames };
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const n = node.node;
    if (this.addedNodeSelector && !this.addedNodeSelector(nodeLabelsOf(n), node.name)) return unresolvable(ERR_REASON_ENFORCED);
    const required = state.read<RequiredNodeAffinity>(PRE_FILTER_STATE_KEY) ?? new RequiredNodeAffinity(pod.pod);
    return required.match(n) ? SUCCESS : unresolvable(ERR_REASON_POD);
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status {
    if (nodes.length === 0) return SUCCESS;
    const preferred = podPreferredTerms(pod.pod);
    if (typeof preferred === "string") return errorStatus(preferred);
    if (!preferred && !this.addedPreferred) return SKIP;
    state.write(PRE_SCORE_STATE_KEY, preferred);
    return SUCCESS;
  }

  /** The summed weights of matching preferred terms (the profile's added ones included). */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    let count = this.addedPreferred?.score(node.node) ?? 0;
    let preferred = state.read<PreferredSchedulingTerms | undefined>(PRE_SCORE_STATE_KEY);
    if (preferred === undefined) {
      const compiled = podPreferredTerms(pod.pod);
      preferred = typeof compiled === "string" ? undefined : compiled;
    }
    if (preferred) count += preferred.score(node.node);
    return count;
  }

  normalizeScores(_state: CycleState, _pod: PodInfo, scores: Float64Array): void {
    defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
  }
}

function podPreferredTerms(pod: Pod): PreferredSchedulingTerms | string | undefined {
  const terms = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  return terms.length ? PreferredSchedulingTerms.compile(terms) : undefined;
}

/** The registry's constructor of NodeAffinity. */
export const newNodeAffinity: PluginFactory = (args) => new NodeAffinity(args) satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin;
