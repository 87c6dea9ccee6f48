// RBAC's escalation prevention: writing a role or binding may grant only permissions the writer holds, unless it may `escalate` or `bind`.
import { apiErrors, kindForResource, mergePatch, type apiserverV1, type KindInfo, type rbacV1 } from "@kubeplane/api";
import { decodeRequestObject } from "../object-codec.js";
import type { Registry } from "../registry.js";
import { nonResourceAttributes, resourceAttributes, type RequestAttributes } from "./attributes.js";
import type { Authorizer } from "./authorizer.js";
import type { RbacCache } from "./rbac-cache.js";
import { ruleAllows, subjectMatches } from "./rbac-rules.js";

const RBAC_GROUP = "rbac.authorization.k8s.io";
type PolicyRule = rbacV1.PolicyRule;

interface Request {
  object?: apiserverV1.RawObject;
  patch?: Uint8Array;
}

/** Every atomic permission of `rule` (one verb, group, resource, name) is granted by one of `owned`. */
function covered(rule: PolicyRule, owned: readonly PolicyRule[], a: RequestAttributes): boolean {
  const user = a.user;
  if (rule.nonResourceUrls.length > 0) {
    return rule.verbs.every((v) => rule.nonResourceUrls.every((u) => owned.some((o) => ruleAllows(o, nonResourceAttributes(user, v, u)))));
  }
  const names = rule.resourceNames.length > 0 ? rule.resourceNames : [""];
  for (const verb of rule.verbs) {
    for (const apiGroup of rule.apiGroups) {
      for (const combined of rule.resources) {
        const [resource = "", subresource = ""] = combined.split("/", 2);
        for (const name of names) {
          const atom = resourceAttributes(user, { verb, apiGroup, resource, subresource, name, namespace: a.namespace });
          if (!owned.some((o) => ruleAllows(o, atom))) return false;
        }
      }
    }
  }
  return true;
}

function describe(rule: PolicyRule): string {
  const list = (k: string, v: string[]): string => (v.length ? `${k}:[${v.map((x) => JSON.stringify(x)).join(", ")}]` : "");
  return `{${[list("APIGroups", rule.apiGroups), list("Resources", rule.resources), list("ResourceNames", rule.resourceNames), list("NonResourceURLs", rule.nonResourceUrls), list("Verbs", rule.verbs)].filter(Boolean).join(", ")}}`;
}

/**
 * Kubernetes' RBAC escalation check, run after authorization for creates, updates and patches of
 * Roles, ClusterRoles and their bindings: a role's rules, or the rules of the role a binding refers
 * to, must all be held by the writer (in the object's namespace, or cluster-wide for cluster
 * objects), unless the writer is allowed `escalate` on the role or `bind` on the referenced role.
 * Rejects with Forbidden naming the permissions not held.
 */
export class EscalationCheck {
  constructor(
    private readonly cache: RbacCache,
    private readonly authorizer: Authorizer,
    private readonly registry: Registry,
  ) {}

  async check(a: RequestAttributes, request: Request): Promise<void> {
    if (a.apiGroup !== RBAC_GROUP || a.subresource || !["create", "update", "patch"].includes(a.verb)) return;
    const info = kindForResource(RBAC_GROUP, a.resource);
    if (!info) return;
    const obj = await this.wanted(info, a, request);
    const name = obj.metadata?.name ?? a.name;
    const scoped = { ...a, name };
    let rules: readonly PolicyRule[];
    if (a.resource === "roles" || a.resource === "clusterroles") {
      if (await this.allowed({ ...scoped, verb: "escalate" })) return;
      rules = (obj as rbacV1.Role).rules;
    } else if (a.resource === "rolebindings" || a.resource === "clusterrolebindings") {
      const ref = (obj as rbacV1.RoleBinding).roleRef;
      if (!ref) return; // validation refuses it
      const roleResource = ref.kind === "ClusterRole" ? "clusterroles" : "roles";
      const roleNamespace = ref.kind === "ClusterRole" ? "" : a.namespace;
      if (await this.allowed(resourceAttributes(a.user, { verb: "bind", apiGroup: RBAC_GROUP, resource: roleResource, namespace: a.namespace, name: ref.name }))) return;
      rules = this.cache.rulesOf({ kind: a.resource === "rolebindings" ? "RoleBinding" : "ClusterRoleBinding", namespace: roleNamespace, name, roleRef: ref, subjects: [] });
    } else return;
    const owned = this.ownedRules(a);
    const missing = rules.filter((r) => !covered(r, owned, a));
    if (missing.length === 0) return;
    const groups = a.user.groups.map((g) => JSON.stringify(g)).join(" ");
    throw apiErrors.forbidden(
      { group: RBAC_GROUP, resource: a.resource, name },
      `user ${JSON.stringify(a.user.username)} (groups=[${groups}]) is attempting to grant RBAC permissions not currently held:\n${missing.map(describe).join("\n")}`,
    );
  }

  private async allowed(attrs: RequestAttributes): Promise<boolean> {
    return (await this.authorizer.authorize(attrs)).decision === "allow";
  }

  /** The rules the writer holds where the object applies: cluster-wide bindings, plus RoleBindings of its namespace. */
  private ownedRules(a: RequestAttributes): PolicyRule[] {
    const rules: PolicyRule[] = [];
    for (const b of this.cache.bindingsFor(a.user)) {
      if (b.kind === "RoleBinding" && (a.namespace === "" || b.namespace !== a.namespace)) continue;
      if (!b.subjects.some((s) => subjectMatches(s, a.user, b.namespace))) continue;
      rules.push(...this.cache.rulesOf(b));
    }
    return rules;
  }

  /** The object as it would be stored: decoded for create and update, the stored one patched for patch. */
  private async wanted(info: KindInfo, a: RequestAttributes, request: Request): Promise<rbacV1.Role | rbacV1.RoleBinding> {
    if (a.verb !== "patch") return decodeRequestObject(info, request.object) as rbacV1.Role;
    const found = await this.registry.tryGet(info, a.namespace, a.name);
    if (!found) throw apiErrors.notFound({ group: RBAC_GROUP, resource: a.resource, name: a.name });
    let patch: unknown;
    try {
      patch = JSON.parse(Buffer.from(request.patch ?? new Uint8Array()).toString("utf8"));
    } catch {
      throw apiErrors.badRequest("the patch is not valid JSON");
    }
    return info.codec.fromJSON(mergePatch(info.codec.toJSON(found.obj), patch)) as rbacV1.Role;
  }
}
