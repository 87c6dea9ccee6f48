// The clusterrole-aggregation controller: a ClusterRole with an aggregationRule gets the rules of every ClusterRole its selectors match.
import { isConflict, isNotFound, kindForResource, labelSelectorFromObject, rbacV1, type KindInfo } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import type { Logger, Reconciler, Request } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";

type ClusterRole = rbacV1.ClusterRole;
type PolicyRule = rbacV1.PolicyRule;
const clusterRoleKind = kindForResource("rbac.authorization.k8s.io", "clusterroles") as KindInfo<ClusterRole>;

const ruleKey = (r: PolicyRule): string => JSON.stringify(rbacV1.PolicyRule.toJSON(r));

/** The union of the rules of the ClusterRoles `role`'s selectors match (itself excluded), de-duplicated, in name order. */
export function aggregatedRules(role: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] {
  const selectors = (role.aggregationRule?.clusterRoleSelectors ?? []).map((s) => labelSelectorFromObject(s as Parameters<typeof labelSelectorFromObject>[0]));
  const sources = all
    .filter((c) => c.metadata?.name !== role.metadata?.name && selectors.some((s) => s.matches(c.metadata?.labels)))
    .sort((a, b) => (a.metadata!.name < b.metadata!.name ? -1 : 1));
  const seen = new Set<string>();
  const rules: PolicyRule[] = [];
  for (const source of sources) {
    for (const rule of source.rules) {
      const key = ruleKey(rule);
      if (seen.has(key)) continue;
      seen.add(key);
      rules.push(rule);
    }
  }
  return rules;
}

/**
 * Reconciles one ClusterRole: when it has an aggregationRule, its rules become the aggregation of
 * the ClusterRoles it selects (Kubernetes' ClusterRoleAggregationController). Writes only when
 * they differ; a Conflict or NotFound is left to the next event.
 */
export class ClusterRoleAggregationController implements Reconciler {
  constructor(
    private readonly client: ApiClient,
    private readonly roles: Lister<ClusterRole>,
    private readonly logger: Logger,
  ) {}

  async reconcile({ name }: Request, signal: AbortSignal): Promise<void> {
    const role = this.roles.get("", name);
    if (!role?.aggregationRule || role.metadata?.deletionTimestamp) return;
    const rules = aggregatedRules(role, this.roles.list());
    if (rules.length === role.rules.length && rules.every((r, i) => ruleKey(r) === ruleKey(role.rules[i]!))) return;
    try {
      await this.client.update(clusterRoleKind, rbacV1.ClusterRole.fromPartial({ ...role, rules }), { signal });
      this.logger.info({ component: "clusterrole-aggregation", kind: "ClusterRole", name, rules: rules.length }, "aggregated rules updated");
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }
}

export function newClusterRoleAggregationController(ctx: ControllerContext): void {
  const roles = ctx.informers.informerFor(clusterRoleKind);
  const reconciler = new ClusterRoleAggregationController(ctx.client, roles.lister, ctx.logger);
  const controller = ctx.manager.newController({ name: "clusterrole-aggregation", reconciler, workers: 1 });
  // Any ClusterRole change may change what an aggregated role selects: look at every aggregated role.
  controller.watch(roles, () => roles.lister.list().filter((r) => r.aggregationRule).map((r) => r.metadata!.name));
}
