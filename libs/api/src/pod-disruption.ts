// Which PodDisruptionBudgets cover a pod: one predicate for the disruption controller and the eviction subresource.
import type { Pod } from "./gen/kubeplane/core/v1/pod.js";
import type { PodDisruptionBudget } from "./gen/kubeplane/policy/v1/pod_disruption_budget.js";
import { labelSelectorFromObject, type LabelSelectorExpressionOperator } from "./label-selectors.js";

/**
 * True when `pdb` covers `pod`: same namespace and its selector matches the pod's labels. In
 * policy/v1 an empty selector covers every pod of the namespace and a missing one none; a
 * selector that cannot be parsed covers nothing.
 */
export function pdbSelectsPod(pdb: PodDisruptionBudget, pod: Pod): boolean {
  if ((pdb.metadata?.namespace ?? "") !== (pod.metadata?.namespace ?? "")) return false;
  const sel = pdb.spec?.selector;
  if (!sel) return false;
  try {
    const parsed = labelSelectorFromObject({
      matchLabels: sel.matchLabels,
      matchExpressions: sel.matchExpressions.map((e) => ({ key: e.key, operator: e.operator as LabelSelectorExpressionOperator, values: e.values })),
    });
    return parsed.matches(pod.metadata?.labels ?? {});
  } catch {
    return false;
  }
}
