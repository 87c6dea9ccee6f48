// The authorizer contract and the chain that asks each authorizer in turn (Kubernetes' union authorizer).
import type { RequestAttributes } from "./attributes.js";
import { MASTERS_GROUP } from "../authn/index.js";

/** allow and deny end the chain; noOpinion asks the next authorizer (the last noOpinion is a refusal). */
export type Decision = "allow" | "deny" | "noOpinion";

/** An authorizer's answer; `reason` explains it (shown in a refusal and in access reviews). */
export interface Verdict {
  decision: Decision;
  reason: string;
}

/**
 * One way to decide (privileged groups, Node, RBAC). Called for every API request, so it must be
 * fast: it answers from in-memory caches kept current by watches, and reads the store only to
 * confirm a miss that may be the cache lagging (the Node authorizer). Never throws for a refusal.
 */
export interface Authorizer {
  authorize(attrs: RequestAttributes): Verdict | Promise<Verdict>;
}

export const NO_OPINION: Verdict = Object.freeze({ decision: "noOpinion", reason: "" });

/** Asks each authorizer in order; the first allow or deny decides, else the request is refused. */
export class UnionAuthorizer implements Authorizer {
  constructor(private readonly authorizers: readonly Authorizer[]) {}

  async authorize(attrs: RequestAttributes): Promise<Verdict> {
    const reasons: string[] = [];
    for (const authorizer of this.authorizers) {
      const verdict = await authorizer.authorize(attrs);
      if (verdict.decision !== "noOpinion") return verdict;
      if (verdict.reason) reasons.push(verdict.reason);
    }
    return { decision: "noOpinion", reason: reasons.join(", ") };
  }
}

/** Members of these groups may do everything, whatever RBAC says (kube-apiserver's system:masters). */
export class PrivilegedGroupsAuthorizer implements Authorizer {
  constructor(private readonly groups: readonly string[] = [MASTERS_GROUP]) {}

  authorize(attrs: RequestAttributes): Verdict {
    return attrs.user.groups.some((g) => this.groups.includes(g)) ? { decision: "allow", reason: "" } : NO_OPINION;
  }
}
