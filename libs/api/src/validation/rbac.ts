// RBAC validation: path-segment names, rules with verbs, bindings with a valid and immutable roleRef.
import { FieldPath, invalid, notSupported, required, type FieldError } from "../field-errors.js";
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from "../gen/kubeplane/rbac/v1/rbac.js";

const RBAC_GROUP = "rbac.authorization.k8s.io";

/** RBAC names are path segments ("system:kube-scheduler" is valid): not "." or "..", no "/" or "%". */
export function pathSegmentNameProblems(name: string): string[] {
  if (name === "." || name === "..") return [`may not be '${name}'`];
  const bad = ["/", "%"].find((c) => name.includes(c));
  return bad ? [`may not contain '${bad}'`] : [];
}

function validateRules(rules: readonly PolicyRule[], namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  rules.forEach((rule, i) => {
    const p = FieldPath.root("rules").index(i);
    if (rule.verbs.length === 0) errs.push(required(p.child("verbs"), "verbs must contain at least one value"));
    if (rule.nonResourceUrls.length > 0) {
      if (namespaced) errs.push(invalid(p.child("nonResourceURLs"), rule.nonResourceUrls, "namespaced rules cannot apply to non-resource URLs"));
      if (rule.apiGroups.length > 0 || rule.resources.length > 0 || rule.resourceNames.length > 0) {
        errs.push(invalid(p.child("nonResourceURLs"), rule.nonResourceUrls, "rules cannot apply to both regular resources and non-resource URLs"));
      }
      return;
    }
    if (rule.apiGroups.length === 0) errs.push(required(p.child("apiGroups"), "resource rules must supply at least one api group"));
    if (rule.resources.length === 0) errs.push(required(p.child("resources"), "resource rules must supply at least one resource"));
  });
  return errs;
}

function validateSubjects(subjects: readonly Subject[], clusterScoped: boolean): FieldError[] {
  const errs: FieldError[] = [];
  subjects.forEach((s, i) => {
    const p = FieldPath.root("subjects").index(i);
    if (!s.name) errs.push(required(p.child("name"), ""));
    if (s.kind === "ServiceAccount") {
      if (s.apiGroup !== "") errs.push(notSupported(p.child("apiGroup"), s.apiGroup, [""]));
      if (clusterScoped && !s.namespace) errs.push(required(p.child("namespace"), ""));
    } else if (s.kind === "User" || s.kind === "Group") {
      if (s.apiGroup !== RBAC_GROUP) errs.push(notSupported(p.child("apiGroup"), s.apiGroup, [RBAC_GROUP]));
    } else errs.push(notSupported(p.child("kind"), s.kind, ["ServiceAccount", "User", "Group"]));
  });
  return errs;
}

function validateRoleRef(ref: RoleBinding["roleRef"], kinds: readonly string[]): FieldError[] {
  const p = FieldPath.root("roleRef");
  if (!ref) return [required(p, "")];
  const errs: FieldError[] = [];
  if (ref.apiGroup !== RBAC_GROUP) errs.push(notSupported(p.child("apiGroup"), ref.apiGroup, [RBAC_GROUP]));
  if (!kinds.includes(ref.kind)) errs.push(notSupported(p.child("kind"), ref.kind, kinds));
  if (!ref.name) errs.push(required(p.child("name"), ""));
  else for (const problem of pathSegmentNameProblems(ref.name)) errs.push(invalid(p.child("name"), ref.name, problem));
  return errs;
}

function roleRefUnchanged(ref: RoleBinding["roleRef"], old: RoleBinding["roleRef"]): FieldError[] {
  if (!old || (ref?.apiGroup === old.apiGroup && ref?.kind === old.kind && ref?.name === old.name)) return [];
  return [invalid(FieldPath.root("roleRef"), ref, "cannot change roleRef")];
}

export function validateRole(role: Role): FieldError[] {
  return validateRules(role.rules, true);
}

export function validateClusterRole(role: ClusterRole): FieldError[] {
  const errs = validateRules(role.rules, false);
  role.aggregationRule?.clusterRoleSelectors.forEach((sel, i) => {
    if (Object.keys(sel.matchLabels).length === 0 && sel.matchExpressions.length === 0) {
      errs.push(required(FieldPath.root("aggregationRule").child("clusterRoleSelectors").index(i), "a selector must match something"));
    }
  });
  return errs;
}

export function validateRoleBinding(binding: RoleBinding, old?: RoleBinding): FieldError[] {
  return [...validateRoleRef(binding.roleRef, ["Role", "ClusterRole"]), ...validateSubjects(binding.subjects, false), ...roleRefUnchanged(binding.roleRef, old?.roleRef)];
}

export function validateClusterRoleBinding(binding: ClusterRoleBinding, old?: ClusterRoleBinding): FieldError[] {
  return [...validateRoleRef(binding.roleRef, ["ClusterRole"]), ...validateSubjects(binding.subjects, true), ...roleRefUnchanged(binding.roleRef, old?.roleRef)];
}
