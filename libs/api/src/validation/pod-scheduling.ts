// Pod scheduling constraints: node selector, affinity, tolerations and topology spread constraints.
import { type FieldPath, invalid, notSupported, required, type FieldError } from "../field-errors.js";
import type { Affinity, PodAffinityTerm, Toleration, TopologySpreadConstraint } from "../gen/kubeplane/core/v1/pod.js";
import type { NodeSelectorRequirement, NodeSelectorTerm } from "../gen/kubeplane/core/v1/types.js";
import { validateEnum, validateLabelSelector } from "./common.js";
import { qualifiedNameProblems } from "./names.js";

export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

/** Toleration operators Exists/Equal ("" means Equal); Exists forbids a value; effects are taint effects or "" (all). */
export function validateTolerations(tolerations: readonly Toleration[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  tolerations.forEach((t, i) => {
    const p = path.index(i);
    if (t.key !== "") for (const problem of qualifiedNameProblems(t.key)) errs.push(invalid(p.child("key"), t.key, problem));
    if (t.key === "" && t.operator !== "Exists") errs.push(invalid(p.child("operator"), t.operator, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
    if (t.operator === "Exists") {
      if (t.value !== "") errs.push(invalid(p.child("operator"), t.value, "value must be empty when `operator` is 'Exists'"));
    } else if (t.operator !== "" && t.operator !== "Equal") {
      errs.push(notSupported(p.child("operator"), t.operator, ["Equal", "Exists"]));
    }
    errs.push(...validateEnum(t.effect, TAINT_EFFECTS, p.child("effect"), false));
    if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") {
      errs.push(invalid(p.child("effect"), t.effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
  });
  return errs;
}

/** Node and pod (anti-)affinity: valid node selector terms, label selectors, required topologyKey, weights 1–100. */
export function validateAffinity(affinity: Affinity | undefined, path: FieldPath): FieldError[] {
  if (!affinity) return [];
  const errs: FieldError[] = [];
  const na = affinity.nodeAffinity;
  if (na) {
    const np = path.child("nodeAffinity");
    const req = na.requiredDuringSchedulingIgnoredDuringExecution;
    if (req) {
      const rp = np.child("requiredDuringSchedulingIgnoredDuringExecution").child("nodeSelectorTerms");
      if (req.nodeSelectorTerms.length === 0) errs.push(required(rp, "must have at least one node selector term"));
      req.nodeSelectorTerms.forEach((t, i) => errs.push(...validateNodeSelectorTerm(t, rp.index(i))));
    }
    na.preferredDuringSchedulingIgnoredDuringExecution.forEach((pt, i) => {
      const pp = np.child("preferredDuringSchedulingIgnoredDuringExecution").index(i);
      errs.push(...validateWeight(pt.weight, pp.child("weight")));
      if (pt.preference) errs.push(...validateNodeSelectorTerm(pt.preference, pp.child("preference")));
    });
  }
  for (const kind of ["podAffinity", "podAntiAffinity"] as const) {
    const pa = affinity[kind];
    if (!pa) continue;
    const kp = path.child(kind);
    pa.requiredDuringSchedulingIgnoredDuringExecution.forEach((term, i) => {
      errs.push(...validatePodAffinityTerm(term, kp.child("requiredDuringSchedulingIgnoredDuringExecution").index(i)));
    });
    pa.preferredDuringSchedulingIgnoredDuringExecution.forEach((w, i) => {
      const wp = kp.child("preferredDuringSchedulingIgnoredDuringExecution").index(i);
      errs.push(...validateWeight(w.weight, wp.child("weight")));
      if (w.podAffinityTerm) errs.push(...validatePodAffinityTerm(w.podAffinityTerm, wp.child("podAffinityTerm")));
      else errs.push(required(wp.child("podAffinityTerm"), ""));
    });
  }
  return errs;
}

function validateWeight(weight: number, path: FieldPath): FieldError[] {
  return weight >= 1 && weight <= 100 ? [] : [invalid(path, weight, "must be in the range 1-100")];
}

function validatePodAffinityTerm(term: PodAffinityTerm, path: FieldPath): FieldError[] {
  const errs = validateLabelSelector(term.labelSelector, path.child("labelSelector"));
  errs.push(...validateLabelSelector(term.namespaceSelector, path.child("namespaceSelector")));
  if (term.topologyKey === "") errs.push(required(path.child("topologyKey"), "can not be empty"));
  else for (const problem of qualifiedNameProblems(term.topologyKey)) errs.push(invalid(path.child("topologyKey"), term.topologyKey, problem));
  return errs;
}

function validateNodeSelectorTerm(term: NodeSelectorTerm, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  term.matchExpressions.forEach((r, i) => errs.push(...validateNodeSelectorRequirement(r, path.child("matchExpressions").index(i), true)));
  term.matchFields.forEach((r, i) => errs.push(...validateNodeSelectorRequirement(r, path.child("matchFields").index(i), false)));
  return errs;
}

function validateNodeSelectorRequirement(r: NodeSelectorRequirement, path: FieldPath, labels: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (labels) for (const problem of qualifiedNameProblems(r.key)) errs.push(invalid(path.child("key"), r.key, problem));
  else if (r.key !== "metadata.name") errs.push(invalid(path.child("key"), r.key, "not a valid field selector key"));
  switch (r.operator) {
    case "In":
    case "NotIn":
      if (r.values.length === 0) errs.push(required(path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case "Exists":
    case "DoesNotExist":
      if (r.values.length > 0) errs.push(forbiddenValues(path, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case "Gt":
    case "Lt":
      if (r.values.length !== 1) errs.push(required(path.child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(invalid(path.child("operator"), r.operator, "not a valid selector operator"));
  }
  return errs;
}

function forbiddenValues(path: FieldPath, detail: string): FieldError {
  return { type: "FieldValueForbidden", field: String(path.child("values")), detail };
}

/** maxSkew > 0, topologyKey required, whenUnsatisfiable DoNotSchedule/ScheduleAnyway, unique (topologyKey, whenUnsatisfiable). */
export function validateTopologySpreadConstraints(constraints: readonly TopologySpreadConstraint[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  constraints.forEach((c, i) => {
    const p = path.index(i);
    if (c.maxSkew <= 0) errs.push(invalid(p.child("maxSkew"), c.maxSkew, "must be greater than zero"));
    if (c.topologyKey === "") errs.push(required(p.child("topologyKey"), "can not be empty"));
    else for (const problem of qualifiedNameProblems(c.topologyKey)) errs.push(invalid(p.child("topologyKey"), c.topologyKey, problem));
    errs.push(...validateEnum(c.whenUnsatisfiable, ["DoNotSchedule", "ScheduleAnyway"], p.child("whenUnsatisfiable")));
    if (c.minDomains !== undefined && c.minDomains <= 0) errs.push(invalid(p.child("minDomains"), c.minDomains, "must be greater than 0"));
    if (c.minDomains !== undefined && c.whenUnsatisfiable !== "DoNotSchedule") {
      errs.push(invalid(p.child("minDomains"), c.minDomains, "can only use minDomains if whenUnsatisfiable=DoNotSchedule"));
    }
    errs.push(...validateEnum(c.nodeAffinityPolicy, ["Honor", "Ignore"], p.child("nodeAffinityPolicy"), false));
    errs.push(...validateEnum(c.nodeTaintsPolicy, ["Honor", "Ignore"], p.child("nodeTaintsPolicy"), false));
    errs.push(...validateLabelSelector(c.labelSelector, p.child("labelSelector")));
    const key = `${c.topologyKey}\u0000${c.whenUnsatisfiable}`;
    if (seen.has(key)) errs.push({ type: "FieldValueDuplicate", field: String(p.child("{topologyKey, whenUnsatisfiable}")), value: `{${c.topologyKey}, ${c.whenUnsatisfiable}}`, detail: "" });
    seen.add(key);
  });
  return errs;
}
