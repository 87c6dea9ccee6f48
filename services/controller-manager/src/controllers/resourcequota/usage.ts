// A quota's observed usage: what the namespace's objects use of each resource in spec.hard (Kubernetes' CalculateUsage).
import { addResources, kindForResource, maskResources, quotaEvaluatorFor, quotaScopes, type ApiObject, type coreV1ResourceQuota, type KindInfo, type ResourceList } from "@kubeplane/api";

type Quota = coreV1ResourceQuota.ResourceQuota;

/** The kinds whose objects can count against any quota (each has a quota evaluator with resource names of its own). */
export const QUOTA_KINDS: readonly KindInfo[] = ["pods", "services", "persistentvolumeclaims", "configmaps", "secrets", "replicationcontrollers", "resourcequotas"].map(
  (resource) => kindForResource("", resource)!,
);

/** The kinds a quota's hard resources name: the built-in ones it tracks, plus any `count/<resource>.<group>` kind the API serves. */
export function kindsTrackedBy(hard: Readonly<ResourceList>): KindInfo[] {
  const names = Object.keys(hard);
  const kinds = QUOTA_KINDS.filter((k) => names.some((n) => quotaEvaluatorFor(k).matchesResource(n)));
  for (const name of names) {
    if (!name.startsWith("count/")) continue;
    const target = name.slice("count/".length);
    const dot = target.indexOf(".");
    const kind = dot < 0 ? kindForResource("", target) : kindForResource(target.slice(dot + 1), target.slice(0, dot));
    if (kind && kind.namespaced && !kinds.includes(kind)) kinds.push(kind);
  }
  return kinds;
}

/**
 * The usage of every resource in the quota's spec.hard ("0" for those nothing uses), summing each object's usage
 * from its kind's evaluator over the objects in the quota's scopes. `objectsOf` returns the namespace's objects of a kind.
 */
export async function calculateUsage(quota: Quota, objectsOf: (kind: KindInfo) => Promise<readonly ApiObject[]> | readonly ApiObject[]): Promise<ResourceList> {
  const hard = quota.spec?.hard ?? {};
  const scopes = quotaScopes(quota);
  let used: ResourceList = Object.fromEntries(Object.keys(hard).map((n) => [n, "0"]));
  for (const kind of kindsTrackedBy(hard)) {
    const evaluator = quotaEvaluatorFor(kind);
    const names = Object.keys(hard).filter((n) => evaluator.matchesResource(n));
    for (const obj of await objectsOf(kind)) {
      if (obj.metadata?.deletionTimestamp && kind.resource !== "pods") continue;
      if (!scopes.every((s) => evaluator.matchesScope(s, obj))) continue;
      used = addResources(used, maskResources(evaluator.usage(obj), names));
    }
  }
  return used;
}
