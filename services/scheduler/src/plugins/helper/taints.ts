// Whether tolerations tolerate a taint (core/v1 Toleration.ToleratesTaint), for every plugin that reads node taints.
import type { coreV1Node, coreV1Pod } from "@kubeplane/api";

type Taint = coreV1Node.Taint;
type Toleration = coreV1Pod.Toleration;

/** Whether `toleration` tolerates `taint` (core/v1 Toleration.ToleratesTaint): empty key or effect match any. */
export function toleratesTaint(toleration: Toleration, taint: Pick<Taint, "key" | "value" | "effect">): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator) {
    case "":
    case "Equal":
      return toleration.value === taint.value;
    case "Exists":
      return true;
    default:
      return false;
  }
}

/** Whether any of `tolerations` tolerates `taint`. */
export function tolerationsTolerateTaint(tolerations: readonly Toleration[], taint: Pick<Taint, "key" | "value" | "effect">): boolean {
  return tolerations.some((t) => toleratesTaint(t, taint));
}
