// The ResourceQuota admission plugin (Kubernetes' ResourceQuota): a write that would take a namespace past a quota is
// refused; an admitted one is charged to status.used by compare-and-swap before it is stored.
import {
  addResources,
  apiErrors,
  exceededResources,
  isZeroResources,
  kindFor,
  maskResources,
  prettyPrintResources,
  quotaEvaluatorFor,
  quotaMatches,
  subtractNonNegative,
  type ApiError,
  type coreV1ResourceQuota,
  type KindInfo,
  type QuotaEvaluator,
  type ResourceList,
} from "@kubeplane/api";
import type { AdmissionAttributes, AdmissionStore, ValidatingAdmissionPlugin } from "../interfaces.js";
import type { ObjectCache } from "./object-cache.js";

type Quota = coreV1ResourceQuota.ResourceQuota;
/** ResourceQuota, for store reads and the cache plugins.ts builds. */
export const quotaKind = kindFor("v1", "ResourceQuota") as KindInfo<Quota>;

/** What one quota is asked to absorb. */
interface Charge {
  readonly quota: string;
  /** The request's usage of the resources this quota tracks (non-zero only). */
  readonly delta: ResourceList;
}

/**
 * ResourceQuota: validating, last in the chain. For each quota of the namespace that tracks one of the resources the
 * object is charged for (status.hard, so once the resourcequota controller has seen the quota) and whose scopes
 * cover it: containers must state tracked compute resources (`failed quota: q: must specify limits.cpu for: c`),
 * the quota must know its usage (`status unknown for quota`), and used + requested must stay within hard
 * (`exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2`, Forbidden). The charge is written to each
 * quota's status.used by compare-and-swap (re-checked on every retry), so concurrent writes cannot together exceed
 * it; dry runs are checked but not charged. Deletes give usage back through the controller's recount.
 */
export class ResourceQuotaAdmission implements ValidatingAdmissionPlugin {
  readonly name = "ResourceQuota";

  /**
   * `quotas`, when given, tells which namespaces have quotas at all, so writes elsewhere cost no read; where it
   * knows one, the quotas are read from the store (fresh usage), and the charge is a compare-and-swap anyway.
   */
  constructor(private readonly quotas?: ObjectCache<Quota>) {}

  run(signal: AbortSignal): Promise<void> {
    return this.quotas?.run(signal) ?? Promise.resolve();
  }

  handles(attrs: AdmissionAttributes): boolean {
    if (attrs.subresource !== "" || attrs.namespace === "" || !attrs.info.namespaced) return false;
    return (attrs.operation === "CREATE" || attrs.operation === "UPDATE") && quotaEvaluatorFor(attrs.info).handles(attrs.operation);
  }

  async validate(attrs: AdmissionAttributes, store: AdmissionStore): Promise<void> {
    const obj = attrs.object;
    if (!obj) return;
    if (this.quotas?.list(attrs.namespace)?.length === 0) return;
    const quotas = await store.list(quotaKind, attrs.namespace);
    if (quotas.length === 0) return;
    const evaluator = quotaEvaluatorFor(attrs.info);
    let usage = evaluator.usage(obj);
    if (attrs.operation === "UPDATE" && attrs.oldObject) usage = subtractNonNegative(usage, evaluator.usage(attrs.oldObject));
    if (isZeroResources(usage)) return;
    const charges: Charge[] = [];
    for (const quota of quotas.sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""))) {
      const charge = this.check(attrs, evaluator, quota, usage);
      if (charge) charges.push(charge);
    }
    if (attrs.dryRun) return;
    const charged: Charge[] = [];
    try {
      for (const charge of charges) {
        await store.updateStatus<Quota>(quotaKind, attrs.namespace, charge.quota, (current) => this.charged(attrs, current, charge));
        charged.push(charge);
      }
    } catch (err) {
      // Give back what was charged to the quotas before the one that refused (the controller's recount would, later).
      for (const charge of charged) {
        await store
          .updateStatus<Quota>(quotaKind, attrs.namespace, charge.quota, (current) => withUsed(current, subtractNonNegative(current.status?.used ?? {}, charge.delta)))
          .catch(() => undefined);
      }
      throw err;
    }
  }

  /** The charge `quota` must take for this request, or undefined when it does not apply; throws its refusal. */
  private check(attrs: AdmissionAttributes, evaluator: QuotaEvaluator, quota: Quota, usage: ResourceList): Charge | undefined {
    const obj = attrs.object!;
    if (!quotaMatches(quota, evaluator, obj)) return undefined;
    const name = quota.metadata?.name ?? "";
    const hard = quota.status?.hard ?? {};
    const tracked = Object.keys(hard).filter((r) => evaluator.matchesResource(r)).sort();
    const problem = evaluator.constraints(tracked, obj);
    if (problem) throw this.forbidden(attrs, `failed quota: ${name}: ${problem}`);
    const used = quota.status?.used ?? {};
    const unknown = tracked.filter((r) => used[r] === undefined);
    if (unknown.length) throw this.forbidden(attrs, `status unknown for quota: ${name}, resources: ${unknown.join(",")}`);
    const delta = Object.fromEntries(Object.entries(maskResources(usage, tracked)).filter(([, v]) => v !== "0"));
    if (Object.keys(delta).length === 0) return undefined;
    this.within(attrs, quota, delta);
    return { quota: name, delta };
  }

  /** Throws `exceeded quota` when used + delta passes hard for any resource. */
  private within(attrs: AdmissionAttributes, quota: Quota, delta: ResourceList): void {
    const hard = quota.status?.hard ?? {};
    const used = quota.status?.used ?? {};
    const exceeded = exceededResources(addResources(maskResources(used, Object.keys(delta)), delta), hard);
    if (exceeded.length === 0) return;
    throw this.forbidden(
      attrs,
      `exceeded quota: ${quota.metadata?.name ?? ""}, requested: ${prettyPrintResources(maskResources(delta, exceeded))}, used: ${prettyPrintResources(
        maskResources(used, exceeded),
      )}, limited: ${prettyPrintResources(maskResources(hard, exceeded))}`,
    );
  }

  /** The quota with this request charged, after checking it against the quota as stored now. */
  private charged(attrs: AdmissionAttributes, current: Quota, charge: Charge): Quota {
    this.within(attrs, current, charge.delta);
    return withUsed(current, addResources(current.status?.used ?? {}, charge.delta));
  }

  private forbidden(attrs: AdmissionAttributes, why: string): ApiError {
    const obj = attrs.object;
    return apiErrors.forbidden({ group: attrs.info.group, resource: attrs.info.resource, name: attrs.name || obj?.metadata?.name || obj?.metadata?.generateName || "" }, why);
  }
}

function withUsed(quota: Quota, used: ResourceList): Quota {
  return { ...quota, status: { hard: quota.status?.hard ?? {}, used } };
}
