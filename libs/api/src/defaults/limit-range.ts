// Kubernetes' defaults for LimitRange (SetDefaults_LimitRangeItem).
import type { LimitRange } from "../gen/kubeplane/core/v1/resource_quota.js";

/**
 * For Container items: a missing default limit takes the max; a missing default request takes the default
 * limit, else the min. Set values are never overwritten.
 */
export function defaultLimitRange(lr: LimitRange): void {
  for (const item of lr.spec?.limits ?? []) {
    if (item.type !== "Container") continue;
    for (const [k, v] of Object.entries(item.max)) item.default[k] ??= v;
    for (const [k, v] of Object.entries(item.default)) item.defaultRequest[k] ??= v;
    for (const [k, v] of Object.entries(item.min)) item.defaultRequest[k] ??= v;
  }
}
