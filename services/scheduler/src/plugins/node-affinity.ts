// NodeAffinity: a pod's nodeSelector and required node affinity rule nodes out; its preferred
// terms rank the rest (kube-scheduler's nodeaffinity, with component-helpers' node selector).
import type { coreV1Pod, coreV1Types } from "@kubeplane/api";
import { registerPlugin } from "../framework/plugin-registry.js";
import { MAX_NODE_SCORE, SKIP, SUCCESS, errorStatus, unresolvable } from "../framework/interface.js";
import type {
  ClusterEvent,
  CycleState,
  FilterPlugin,
  Node,
  NodeInfo,
  Pod,
  PodInfo,
  PreFilterPlugin,
  PreFilterResult,
  PreScorePlugin,
  ScorePlugin,
  Status,
} from "../framework/interface.js";
import { InvalidPluginArgsError } from "./node-resources-fit.js";
import { defaultNormalizeScore } from "./taint-toleration.js";

export const NODE_AFFINITY = "NodeAffinity";
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";
export const ERR_REASON_CONFLICT = "pod affinity terms conflict";
const PRE_FILTER_STATE_KEY = "PreFilter" + NODE_AFFINITY;
const PRE_SCORE_STATE_KEY = "PreScore" + NODE_AFFINITY;
/** The only node field a matchFields requirement can name. */
const OBJECT_NAME_FIELD = "metadata.name";

type NodeSelector = coreV1Types.NodeSelector;
type NodeSelectorTerm = coreV1Types.NodeSelectorTerm;
type NodeSelectorRequirement = coreV1Types.NodeSelectorRequirement;
type PreferredSchedulingTerm = coreV1Pod.PreferredSchedulingTerm;
type Labels = Readonly<Record<string, string>>;
type Matcher = (labels: Labels, nodeName: string) => boolean;

const INTEGER = /^[+-]?\d+$/;

/** One label requirement, or why it is invalid (labels.NewRequirement's checks). */
function labelRequirement(r: NodeSelectorRequirement): Matcher | string {
  const { key, operator, values } = r;
  switch (operator) {
    case "In":
    case "NotIn": {
      if (values.length === 0) return `${key}: values must be non-empty for ${operator}`;
      const set = new Set(values);
      const want = operator === "In";
      return (labels) => (Object.hasOwn(labels, key) && set.has(labels[key]!)) === want;
    }
    case "Exists":
    case "DoesNotExist": {
      if (values.length !== 0) return `${key}: values must be empty for ${operator}`;
      const want = operator === "Exists";
      return (labels) => Object.hasOwn(labels, key) === want;
    }
    case "Gt":
    case "Lt": {
      if (values.length !== 1 || !INTEGER.test(values[0]!)) return `${key}: ${operator} needs a single integer value`;
      const bound = Number(values[0]);
      return (labels) => {
        const v = Object.hasOwn(labels, key) ? labels[key]! : "";
        if (!INTEGER.test(v)) return false;
        return operator === "Gt" ? Number(v) > bound : Number(v) < bound;
      };
    }
    default:
      return `${key}: ${JSON.stringify(operator)} is not a valid label selector operator`;
  }
}

/** One field requirement: In/NotIn with exactly one value (nodeSelectorRequirementsAsFieldSelector). */
function fieldRequirement(r: NodeSelectorRequirement): Matcher | string {
  const { key, operator, values } = r;
  if (operator !== "In" && operator !== "NotIn") return `${key}: ${JSON.stringify(operator)} is not a valid node field selector operator`;
  if (values.length !== 1) return `${key}: unexpected number of values (${values.length}) for node field selector operator ${operator}`;
  const value = values[0]!;
  const want = operator === "In";
  // metadata.name is the only field a node has; any other field reads as "".
  return (_labels, nodeName) => ((key === OBJECT_NAME_FIELD ? nodeName : "") === value) === want;
}

/**
 * A NodeSelectorTerm compiled once: its expressions and fields ANDed. An empty term matches
 * nothing; an invalid one (returned as the error text) never matches.
 */
export function compileTerm(term: NodeSelectorTerm | undefined): Matcher | string {
  const labelMatchers = (term?.matchExpressions ?? []).map(labelRequirement);
  const fieldMatchers = (term?.matchFields ?? []).map(fieldRequirement);
  if (labelMatchers.length === 0 && fieldMatchers.length === 0) return () => false;
  const errors = [...labelMatchers, ...fieldMatchers].filter((m): m is string => typeof m === "string");
  if (errors.length) return errors.join("; ");
  const labels = labelMatchers as Matcher[];
  const fields = fieldMatchers as Matcher[];
  return (nodeLabels, nodeName) =>
    labels.every((m) => m(nodeLabels, nodeName)) &&
    // A node without a name has no fields to match, so matchFields is not checked (as kube does).
    (nodeName === "" || fields.every((m) => m(nodeLabels, nodeName)));
}

function nodeLabelsOf(node: Node): Labels {
  return node.metadata?.labels ?? {};
}

/** A NodeSelector: its terms ORed; terms that fail to parse are skipped. */
export function compileNodeSelector(selector: NodeSelector): Matcher {
  const terms = selector.nodeSelectorTerms.map(compileTerm).filter((t): t is Matcher => typeof t !== "string");
  return (labels, name) => terms.some((t) => t(labels, name));
}

/**
 * The pod's hard node constraints, compiled once (component-helpers' RequiredNodeAffinity):
 * spec.nodeSelector ANDed with requiredDuringSchedulingIgnoredDuringExecution. Other plugins
 * (PodTopologySpread's nodeAffinityPolicy) can reuse it.
 */
export class RequiredNodeAffinity {
  private readonly nodeSelector: [string, string][];
  private readonly required: Matcher | undefined;

  constructor(pod: Pod) {
    this.nodeSelector = Object.entries(pod.spec?.nodeSelector ?? {});
    const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    this.required = required ? compileNodeSelector(required) : undefined;
  }

  match(node: Node): boolean {
    const labels = nodeLabelsOf(node);
    if (!this.nodeSelector.every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v)) return false;
    return this.required ? this.required(labels, node.metadata?.name ?? "") : true;
  }
}

/** Preferred terms compiled once; a node's score is the sum of the weights of the terms it matches. */
export class PreferredSchedulingTerms {
  private constructor(private readonly terms: { weight: number; match: Matcher }[]) {}

  /** The compiled terms (zero weights dropped), or the parse errors of invalid ones. */
  static compile(terms: readonly PreferredSchedulingTerm[]): PreferredSchedulingTerms | string {
    const compiled: { weight: number; match: Matcher }[] = [];
    const errors: string[] = [];
    for (const t of terms) {
      if (t.weight === 0) continue;
      const match = compileTerm(t.preference);
      if (typeof match === "string") errors.push(match);
      else compiled.push({ weight: t.weight, match });
    }
    return errors.length ? errors.join("; ") : new PreferredSchedulingTerms(compiled);
  }

  score(node: Node): number {
    const labels = nodeLabelsOf(node);
    const name = node.metadata?.name ?? "";
    let score = 0;
    for (const t of this.terms) if (t.match(labels, name)) score += t.weight;
    return score;
  }
}

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

registerPlugin(
  NODE_AFFINITY,
  (args) => new NodeAffinity(args) satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin,
);
