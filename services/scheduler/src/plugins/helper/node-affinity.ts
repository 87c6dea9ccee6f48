// Node selectors compiled once (component-helpers' nodeaffinity): required node affinity and preferred terms, for every plugin that matches nodes.
import type { coreV1Pod, coreV1Types } from "@kubeplane/api";
import type { Node, Pod } from "../../framework/interface.js";

/** The only node field a matchFields requirement can name. */
export const OBJECT_NAME_FIELD = "metadata.name";

type NodeSelector = coreV1Types.NodeSelector;
type NodeSelectorTerm = coreV1Types.NodeSelectorTerm;
type NodeSelectorRequirement = coreV1Types.NodeSelectorRequirement;
type PreferredSchedulingTerm = coreV1Pod.PreferredSchedulingTerm;
type Labels = Readonly<Record<string, string>>;
/** A compiled selector: whether a node with these labels and this name matches. */
export type Matcher = (labels: Labels, nodeName: string) => boolean;

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

/** The node's labels, {} when it has none. */
export function nodeLabelsOf(node: Node): Labels {
  return node.metadata?.labels ?? {};
}

/** A NodeSelector: its terms ORed; terms that fail to parse are skipped. */
export function compileNodeSelector(selector: NodeSelector): Matcher {
  const terms = selector.nodeSelectorTerms.map(compileTerm).filter((t): t is Matcher => typeof t !== "string");
  return (labels, name) => terms.some((t) => t(labels, name));
}

/**
 * The pod's hard node constraints, compiled once (component-helpers' RequiredNodeAffinity):
 * spec.nodeSelector ANDed with requiredDuringSchedulingIgnoredDuringExecution. NodeAffinity filters
 * with it, PodTopologySpread's nodeAffinityPolicy counts with it.
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
