// The resourcequota controller: keeps each ResourceQuota's status.hard (from spec.hard) and status.used (counted from
// the namespace's objects) current, so deletes give quota back and a new quota starts enforcing.
import { coreV1ResourceQuota, isConflict, isNotFound, kindFor, resourcesEqual, type ApiObject, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import type { ApiClient, Informer, Lister } from "@kubeplane/client";
import type { Logger, Reconciler, Request, Result } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";
import { calculateUsage, QUOTA_KINDS } from "./usage.js";

type Quota = coreV1ResourceQuota.ResourceQuota;
const quotaKind = kindFor("v1", "ResourceQuota") as KindInfo<Quota>;

/**
 * Reconciles one ResourceQuota: status.hard becomes spec.hard and status.used the usage counted now, written only
 * when either changed. Built-in kinds are read from the informers' caches; other `count/…` kinds are listed live.
 * Requeues itself every `resyncMs` (Kubernetes' --resource-quota-sync-period), which also catches usage the
 * admission plugin charged for a write that then failed. Conflicts are retried with back-off.
 */
export class ResourceQuotaReconciler implements Reconciler {
  constructor(
    private readonly client: ApiClient,
    private readonly quotas: Lister<Quota>,
    private readonly listers: ReadonlyMap<string, Lister<ApiObject>>,
    private readonly resyncMs: number,
    private readonly logger: Logger,
  ) {}

  async reconcile({ namespace, name }: Request, signal: AbortSignal): Promise<Result | void> {
    const quota = this.quotas.get(namespace, name);
    if (!quota || quota.metadata?.deletionTimestamp) return;
    const used = await calculateUsage(quota, async (kind) => {
      const lister = this.listers.get(`${kind.group}/${kind.resource}`);
      if (lister) return lister.listByNamespace(namespace);
      return (await this.client.listAll(kind, { namespace, signal })).items;
    });
    const hard = quota.spec?.hard ?? {};
    const status = quota.status;
    if (!status || !resourcesEqual(status.hard, hard) || !resourcesEqual(status.used, used)) {
      try {
        await this.client.updateStatus(quotaKind, coreV1ResourceQuota.ResourceQuota.fromPartial({ ...quota, apiVersion: "v1", kind: "ResourceQuota", status: { hard: { ...hard }, used } }), { signal });
        this.logger.debug({ component: "resourcequota", namespace, name, used }, "quota status updated");
      } catch (err) {
        if (isNotFound(err)) return;
        // An admission charge won the race; count again from the newer quota.
        if (isConflict(err)) return { requeueAfterMs: 0 };
        throw err;
      }
    }
    return { requeueAfterMs: this.resyncMs };
  }
}

function hardChanged(old: Quota, cur: Quota): boolean {
  const codec = coreV1ResourceQuota.ResourceQuotaSpec;
  return JSON.stringify(codec.toJSON(codec.fromPartial(old.spec ?? {}))) !== JSON.stringify(codec.toJSON(codec.fromPartial(cur.spec ?? {})));
}

const terminal = (pod: coreV1Pod.Pod) => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

/**
 * Builds the resourcequota controller. A quota is reconciled when it is added or its spec changes (not on the status
 * writes admission makes when it charges usage), when an object it may count is deleted (replenishment), when a pod
 * finishes, when a Service or claim changes, and every resync period.
 */
export function newResourceQuotaController(ctx: ControllerContext): void {
  const quotaInformer = ctx.informers.informerFor(quotaKind);
  const listers = new Map<string, Lister<ApiObject>>();
  const informers: [KindInfo, Informer<ApiObject>][] = QUOTA_KINDS.filter((k) => k.resource !== "resourcequotas").map((k) => [k, ctx.informers.informerFor(k)]);
  for (const [kind, informer] of informers) listers.set(`${kind.group}/${kind.resource}`, informer.lister);
  listers.set("/resourcequotas", quotaInformer.lister as unknown as Lister<ApiObject>);
  const reconciler = new ResourceQuotaReconciler(ctx.client, quotaInformer.lister, listers, ctx.config.resourceQuotaSyncPeriod, ctx.logger);
  const controller = ctx.manager.newController({ name: "resourcequota", reconciler, workers: ctx.config.workers });

  quotaInformer.addEventHandler({
    onAdd: (q) => controller.enqueue(q),
    onUpdate: (old, cur) => {
      if (hardChanged(old, cur) || !cur.status) controller.enqueue(cur);
    },
  });
  const replenish = (obj: ApiObject): void => {
    const namespace = obj.metadata?.namespace ?? "";
    for (const q of quotaInformer.lister.listByNamespace(namespace)) controller.enqueue(q);
  };
  for (const [kind, informer] of informers) {
    informer.addEventHandler({
      onDelete: replenish,
      onUpdate: (old, cur) => {
        if (kind.resource === "pods" ? !terminal(old as coreV1Pod.Pod) && terminal(cur as coreV1Pod.Pod) : kind.resource === "services" || kind.resource === "persistentvolumeclaims") replenish(cur);
      },
    });
  }
  // Deleting a quota changes no other quota's usage unless one counts resourcequotas.
  quotaInformer.addEventHandler({ onDelete: replenish });
}
