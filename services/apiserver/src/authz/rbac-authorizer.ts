// The RBAC authorizer: allowed when a binding that applies to the user grants a rule covering the request.
import type { RequestAttributes } from "./attributes.js";
import { NO_OPINION, type Authorizer, type Verdict } from "./authorizer.js";
import type { RbacCache } from "./rbac-cache.js";
import { ruleAllows, subjectMatches } from "./rbac-rules.js";

/**
 * RBAC never denies: it allows or has no opinion (Kubernetes' RBAC is purely additive). A
 * RoleBinding applies only in its own namespace, a ClusterRoleBinding everywhere.
 */
export class RbacAuthorizer implements Authorizer {
  constructor(private readonly cache: RbacCache) {}

  authorize(attrs: RequestAttributes): Verdict {
    for (const b of this.cache.bindingsFor(attrs.user)) {
      if (b.kind === "RoleBinding" && (!attrs.resourceRequest || b.namespace !== attrs.namespace)) continue;
      if (!b.subjects.some((s) => subjectMatches(s, attrs.user, b.namespace))) continue;
      if (this.cache.rulesOf(b).some((rule) => ruleAllows(rule, attrs))) {
        const where = b.kind === "RoleBinding" ? ` in namespace "${b.namespace}"` : "";
        return { decision: "allow", reason: `RBAC: allowed by ${b.kind} "${b.name}"${where} of ${b.roleRef.kind} "${b.roleRef.name}"` };
      }
    }
    return NO_OPINION;
  }
}
