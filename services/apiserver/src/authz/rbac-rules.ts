// RBAC's matching rules: does a PolicyRule cover a request, and does a binding's Subject name a user.
import type { rbacV1 } from "@kubeplane/api";
import type { UserInfo } from "../authn/index.js";
import type { RequestAttributes } from "./attributes.js";

const ALL = "*";

function has(values: readonly string[], value: string): boolean {
  return values.includes(ALL) || values.includes(value);
}

function resourceMatches(rule: rbacV1.PolicyRule, a: RequestAttributes): boolean {
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  for (const r of rule.resources) {
    if (r === ALL || r === combined) return true;
    // "*/scale" is every resource's scale subresource.
    if (a.subresource && r === `*/${a.subresource}`) return true;
  }
  return false;
}

function pathMatches(rule: rbacV1.PolicyRule, path: string): boolean {
  return rule.nonResourceUrls.some((u) => u === ALL || u === path || (u.endsWith("*") && path.startsWith(u.slice(0, -1))));
}

/** Whether `rule` grants the request (Kubernetes' RuleAllows). */
export function ruleAllows(rule: rbacV1.PolicyRule, a: RequestAttributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!a.resourceRequest) return pathMatches(rule, a.path);
  return (
    has(rule.apiGroups, a.apiGroup) &&
    resourceMatches(rule, a) &&
    (rule.resourceNames.length === 0 || (a.name !== "" && rule.resourceNames.includes(a.name)))
  );
}

/** The username a ServiceAccount authenticates as. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** Whether `subject` of a binding in `bindingNamespace` ("" for a ClusterRoleBinding) is `user`. */
export function subjectMatches(subject: rbacV1.Subject, user: UserInfo, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case "User":
      return subject.name === user.username;
    case "Group":
      return user.groups.includes(subject.name);
    case "ServiceAccount":
      return user.username === serviceAccountUsername(subject.namespace || bindingNamespace, subject.name);
    default:
      return false;
  }
}

/** The index key under which a binding is found for a subject: "User:alice", "Group:g", "ServiceAccount:ns:name". */
export function subjectKey(subject: rbacV1.Subject, bindingNamespace: string): string {
  return subject.kind === "ServiceAccount" ? `ServiceAccount:${subject.namespace || bindingNamespace}:${subject.name}` : `${subject.kind}:${subject.name}`;
}

/** Every index key a user may be bound under. */
export function userKeys(user: UserInfo): string[] {
  const keys = [`User:${user.username}`, ...user.groups.map((g) => `Group:${g}`)];
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user.username);
  if (sa) keys.push(`ServiceAccount:${sa[1]}:${sa[2]}`);
  return keys;
}
