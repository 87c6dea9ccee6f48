// `kpctl create role|clusterrole|rolebinding|clusterrolebinding NAME`: RBAC objects from flags, as kubectl's generators.
import { resolveKind } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError, type FlagSpec } from "../args.js";
import type { CommandContext } from "./command.js";

const RBAC = "rbac.authorization.k8s.io";
const API_VERSION = `${RBAC}/v1`;

/** The flags the RBAC generators read (added to `create`'s). */
export const CREATE_RBAC_FLAGS: readonly FlagSpec[] = [
  { name: "verb", type: "strings", description: "role, clusterrole: verbs the rule grants (repeatable or comma-separated)." },
  { name: "resource", type: "strings", description: "role, clusterrole: resources the rule applies to: pods, deployments.apps, pods/log (repeatable)." },
  { name: "resource-name", type: "array", description: "role, clusterrole: object names the rule is limited to (repeatable)." },
  { name: "non-resource-url", type: "strings", description: "clusterrole: paths the rule applies to (/version, /healthz*)." },
  { name: "aggregation-rule", type: "strings", description: "clusterrole: KEY=VALUE labels of the ClusterRoles to aggregate." },
  { name: "clusterrole", type: "string", description: "rolebinding, clusterrolebinding: the ClusterRole to bind." },
  { name: "role", type: "string", description: "rolebinding: the Role to bind." },
  { name: "user", type: "array", description: "rolebinding, clusterrolebinding: a user to bind (repeatable)." },
  { name: "group", type: "array", description: "rolebinding, clusterrolebinding: a group to bind (repeatable)." },
  { name: "serviceaccount", type: "array", description: "rolebinding, clusterrolebinding: NAMESPACE:NAME of a ServiceAccount to bind (repeatable)." },
];

/** One rule from --verb, --resource and --resource-name: resources grouped by API group, as kubectl does. */
function rules(ctx: CommandContext, clusterScoped: boolean): JsonObject[] {
  const verbs = ctx.flags.strings("verb");
  const resources = ctx.flags.strings("resource");
  const names = ctx.flags.strings("resource-name");
  const urls = clusterScoped ? ctx.flags.strings("non-resource-url") : [];
  if (verbs.length === 0) throw new UsageError("at least one verb must be specified (--verb)");
  if (resources.length === 0 && urls.length === 0) throw new UsageError(`at least one resource must be specified (--resource${clusterScoped ? " or --non-resource-url" : ""})`);
  const byGroup = new Map<string, string[]>();
  for (const r of resources) {
    const [typed = "", sub] = r.split("/", 2);
    let group: string;
    let resource: string;
    const info = typed === "*" ? undefined : resolveKind(typed);
    if (info) [group, resource] = [info.group, info.resource];
    else {
      const dot = typed.indexOf(".");
      [resource, group] = dot < 0 ? [typed, ""] : [typed.slice(0, dot), typed.slice(dot + 1)];
    }
    const list = byGroup.get(group) ?? [];
    list.push(sub ? `${resource}/${sub}` : resource);
    byGroup.set(group, list);
  }
  const out: JsonObject[] = [...byGroup].map(([group, res]) => ({ verbs, apiGroups: [group], resources: res, ...(names.length ? { resourceNames: names } : {}) }));
  if (urls.length) out.push({ verbs, nonResourceURLs: urls });
  return out;
}

function subjects(ctx: CommandContext): JsonObject[] {
  const out: JsonObject[] = [
    ...ctx.flags.strings("user").map((name) => ({ kind: "User", apiGroup: RBAC, name })),
    ...ctx.flags.strings("group").map((name) => ({ kind: "Group", apiGroup: RBAC, name })),
  ];
  for (const sa of ctx.flags.strings("serviceaccount")) {
    const [namespace, name] = sa.split(":", 2);
    if (!namespace || !name) throw new UsageError(`serviceaccount must be <namespace>:<name>, not "${sa}"`);
    out.push({ kind: "ServiceAccount", namespace, name });
  }
  return out;
}

/** The RBAC object `create KIND NAME` builds, or undefined when KIND is not an RBAC generator. */
export function rbacObjectFor(ctx: CommandContext, what: string, name: string): JsonObject | undefined {
  switch (what) {
    case "role":
      return { apiVersion: API_VERSION, kind: "Role", metadata: { name }, rules: rules(ctx, false) };
    case "clusterrole": {
      const aggregate = ctx.flags.strings("aggregation-rule");
      if (aggregate.length) {
        const matchLabels = Object.fromEntries(aggregate.map((kv) => kv.split("=", 2) as [string, string]));
        return { apiVersion: API_VERSION, kind: "ClusterRole", metadata: { name }, aggregationRule: { clusterRoleSelectors: [{ matchLabels }] }, rules: [] };
      }
      return { apiVersion: API_VERSION, kind: "ClusterRole", metadata: { name }, rules: rules(ctx, true) };
    }
    case "rolebinding":
    case "clusterrolebinding": {
      const clusterRole = ctx.flags.string("clusterrole");
      const role = what === "rolebinding" ? ctx.flags.string("role") : undefined;
      if (!!clusterRole === !!role) throw new UsageError(what === "rolebinding" ? "exactly one of clusterrole or role must be specified" : "--clusterrole is required");
      const roleRef = { apiGroup: RBAC, kind: clusterRole ? "ClusterRole" : "Role", name: clusterRole ?? role };
      return { apiVersion: API_VERSION, kind: what === "rolebinding" ? "RoleBinding" : "ClusterRoleBinding", metadata: { name }, roleRef, subjects: subjects(ctx) };
    }
    default:
      return undefined;
  }
}
