// Writes the RBAC bootstrap policy at start: creates missing default roles and bindings, brings auto-updated ones back to the defaults.
import { isAlreadyExists, isConflict, kindForResource, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { Registry } from "../registry.js";
import { AUTOUPDATE_ANNOTATION, bootstrapClusterRoleBindings, bootstrapClusterRoles } from "./bootstrap-policy.js";

type Managed = ApiObject & { rules?: unknown; subjects?: unknown; roleRef?: unknown; aggregationRule?: unknown };

/** The parts of a default object the bootstrap owns (an aggregated role's rules belong to the aggregation controller). */
function ownedParts(o: Managed): string {
  return JSON.stringify(o.aggregationRule ? { aggregationRule: o.aggregationRule } : { rules: o.rules, subjects: o.subjects, roleRef: o.roleRef });
}

async function ensure(registry: Registry, info: KindInfo, wanted: Managed): Promise<void> {
  const name = wanted.metadata!.name;
  const found = await registry.tryGet(info, "", name);
  if (!found) {
    try {
      await registry.create(info, "", wanted);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err; // another apiserver replica wrote it first
    }
    return;
  }
  const current = found.obj as Managed;
  if (current.metadata?.annotations?.[AUTOUPDATE_ANNOTATION] === "false") return;
  if (ownedParts(info.codec.toJSON(current) as Managed) === ownedParts(info.codec.toJSON(wanted) as Managed)) return;
  const next = info.codec.fromPartial({ ...current, rules: wanted.rules ?? current.rules, subjects: wanted.subjects, roleRef: wanted.roleRef, aggregationRule: wanted.aggregationRule }) as Managed;
  if (wanted.aggregationRule) next.rules = current.rules;
  try {
    await registry.update(info, "", next);
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
}

/**
 * Ensures the default ClusterRoles and ClusterRoleBindings exist and match the defaults (unless
 * annotated `rbac.authorization.kubernetes.io/autoupdate: "false"`). Idempotent; safe to run from
 * several apiserver replicas at once. Throws when the store is unreachable (the caller retries).
 */
export async function ensureBootstrapPolicy(registry: Registry): Promise<void> {
  const roles = kindForResource("rbac.authorization.k8s.io", "clusterroles")!;
  const bindings = kindForResource("rbac.authorization.k8s.io", "clusterrolebindings")!;
  for (const role of bootstrapClusterRoles()) await ensure(registry, roles, role as Managed);
  for (const binding of bootstrapClusterRoleBindings()) await ensure(registry, bindings, binding as Managed);
}
