// policy/v1 validation: PodDisruptionBudget (ValidatePodDisruptionBudgetSpec).
import { FieldPath, invalid, required, type FieldError } from "../field-errors.js";
import type { PodDisruptionBudget } from "../gen/kubeplane/policy/v1/pod_disruption_budget.js";
import { validateEnum, validateIntOrPercent, validateLabelSelector } from "./common.js";

const spec = FieldPath.root("spec");

/** A PDB: at most one of minAvailable and maxUnavailable, each an integer or a percentage ≤ 100 %, a valid selector and eviction policy. */
export function validatePdb(pdb: PodDisruptionBudget): FieldError[] {
  const s = pdb.spec;
  if (!s) return [required(spec, "")];
  const errs: FieldError[] = [];
  if (s.minAvailable !== undefined && s.maxUnavailable !== undefined) {
    errs.push(invalid(spec, s, "minAvailable and maxUnavailable cannot be both set"));
  }
  for (const field of ["minAvailable", "maxUnavailable"] as const) {
    const value = s[field];
    if (value === undefined) continue;
    const at = spec.child(field);
    const problems = validateIntOrPercent(value, at);
    errs.push(...problems);
    if (!problems.length && value.endsWith("%") && Number(value.slice(0, -1)) > 100) errs.push(invalid(at, value, "must not be greater than 100%"));
  }
  errs.push(...validateLabelSelector(s.selector, spec.child("selector")));
  if (s.unhealthyPodEvictionPolicy !== undefined) errs.push(...validateEnum(s.unhealthyPodEvictionPolicy, ["IfHealthyBudget", "AlwaysAllow"], spec.child("unhealthyPodEvictionPolicy")));
  return errs;
}
