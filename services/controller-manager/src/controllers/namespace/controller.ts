// The namespace controller: empties a Terminating namespace, then releases its "kubernetes" finalizer so it goes.
import { coreV1Config, isNotFound, kindForResource, kindsList, isConflict, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import type { Logger, Reconciler, Request, Result } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";

type Namespace = coreV1Config.Namespace;
type NamespaceCondition = coreV1Config.NamespaceCondition;

/** The spec finalizer this controller owns. */
export const namespaceFinalizer = "kubernetes";

/** How soon a namespace whose content is still going away is looked at again. */
const contentRecheckMs = 1000;

const namespaces = kindForResource("", "namespaces") as KindInfo<Namespace>;

/** What one pass over a namespace's content found. */
interface ContentReport {
  /** Objects still there (being deleted, or just asked to be). */
  remaining: Map<string, number>;
  /** Finalizers on the remaining objects, which something else must remove. */
  finalizers: Set<string>;
  /** Kinds whose list or delete failed, with the error. */
  failures: string[];
}

/**
 * Reconciles one namespace by name. Only a namespace being deleted whose spec.finalizers still
 * holds "kubernetes" is acted on: every object of every namespaced kind in it is deleted
 * (background propagation, like Kubernetes' deletecollection), and while any remain (pods
 * terminating gracefully, objects with finalizers) the namespace is looked at again shortly.
 * Once it is empty, "kubernetes" is removed from spec.finalizers and the apiserver deletes it.
 * Conditions (NamespaceDeletionContentFailure, NamespaceContentRemaining,
 * NamespaceFinalizersRemaining) report progress, best effort. Failures are thrown (retried).
 */
export class NamespaceController implements Reconciler {
  /**
   * Namespaces whose finalizer an update failed to remove although the write succeeded (an
   * apiserver that re-adds it): retried on a back-off of their own, since each such write is an
   * event that would otherwise bring the namespace straight back.
   */
  private readonly refused = new Map<string, { uid: string; retryAt: number; failures: number }>();

  constructor(
    private readonly client: ApiClient,
    private readonly lister: Lister<Namespace>,
    private readonly logger: Logger,
    private readonly now: () => Date,
  ) {}

  async reconcile({ name }: Request, signal: AbortSignal): Promise<Result | void> {
    const ns = this.lister.get("", name);
    if (!ns?.metadata?.deletionTimestamp || !(ns.spec?.finalizers ?? []).includes(namespaceFinalizer)) {
      this.refused.delete(name);
      return;
    }
    const refused = this.refused.get(name);
    if (refused?.uid === ns.metadata.uid && refused.retryAt > performance.now()) return { requeueAfterMs: refused.retryAt - performance.now() };
    const report = await this.deleteContent(name, signal);
    const remaining = [...report.remaining.values()].reduce((a, b) => a + b, 0);
    await this.setConditions(ns, report, signal);
    if (report.failures.length > 0) {
      throw new NamespaceDeletionError(`deleting the content of namespace ${name} failed: ${report.failures.join("; ")}`);
    }
    if (remaining > 0) return { requeueAfterMs: contentRecheckMs };
    if (await this.releaseFinalizer(ns, signal)) {
      this.refused.delete(name);
      this.logger.info({ component: "namespace", name }, "namespace emptied; finalizer removed");
      return;
    }
    const failures = (refused?.uid === ns.metadata.uid ? refused.failures : 0) + 1;
    const delay = Math.min(1000 * 2 ** (failures - 1), 60_000);
    this.refused.set(name, { uid: ns.metadata.uid, retryAt: performance.now() + delay, failures });
    this.logger.warn({ component: "namespace", name, failures, retryInMs: delay }, `the apiserver kept the "${namespaceFinalizer}" finalizer after an update removed it`);
    return { requeueAfterMs: delay };
  }

  private async deleteContent(namespace: string, signal: AbortSignal): Promise<ContentReport> {
    const report: ContentReport = { remaining: new Map(), finalizers: new Set(), failures: [] };
    for (const info of kindsList) {
      if (!info.namespaced) continue;
      try {
        const { items } = await this.client.listAll(info, { namespace, signal });
        for (const obj of items) {
          report.remaining.set(info.resource, (report.remaining.get(info.resource) ?? 0) + 1);
          for (const f of obj.metadata?.finalizers ?? []) report.finalizers.add(`${info.resource}: ${f}`);
          if (!obj.metadata?.deletionTimestamp) await this.deleteOne(info, obj, signal);
        }
      } catch (err) {
        if (signal.aborted) throw err;
        report.failures.push(`${info.resource}: ${(err as Error).message}`);
      }
    }
    return report;
  }

  private async deleteOne(info: KindInfo, obj: ApiObject, signal: AbortSignal): Promise<void> {
    const meta = obj.metadata!;
    try {
      await this.client.delete(info, meta.namespace, meta.name, { propagationPolicy: "Background", preconditions: { uid: meta.uid }, signal });
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }

  /**
   * Removes "kubernetes" from spec.finalizers (compare-and-swap on the live namespace). False when
   * the write went through but the apiserver kept the finalizer.
   */
  private async releaseFinalizer(ns: Namespace, signal: AbortSignal): Promise<boolean> {
    const name = ns.metadata!.name;
    for (let attempt = 0; ; attempt++) {
      let live: Namespace;
      try {
        live = await this.client.get(namespaces, "", name, { signal }) as Namespace;
      } catch (err) {
        if (isNotFound(err)) return true;
        throw err;
      }
      if (live.metadata?.uid !== ns.metadata?.uid || !(live.spec?.finalizers ?? []).includes(namespaceFinalizer)) return true;
      const next = coreV1Config.Namespace.fromPartial(live);
      next.spec!.finalizers = next.spec!.finalizers.filter((f) => f !== namespaceFinalizer);
      let written: Namespace;
      try {
        written = await this.client.update(namespaces, next, { signal }) as Namespace;
      } catch (err) {
        if (isNotFound(err)) return true;
        if (isConflict(err) && attempt < 5) continue;
        throw err;
      }
      return !(written.spec?.finalizers ?? []).includes(namespaceFinalizer);
    }
  }

  /** Writes the deletion conditions when they change; a failure here is only logged. */
  private async setConditions(ns: Namespace, report: ContentReport, signal: AbortSignal): Promise<void> {
    const remaining = [...report.remaining].map(([r, n]) => `${r} has ${n} resource instances`).join(", ");
    const wanted: Array<Omit<NamespaceCondition, "lastTransitionTime">> = [
      report.failures.length > 0
        ? { type: "NamespaceDeletionContentFailure", status: "True", reason: "ContentDeletionFailed", message: `Failed to delete all resource types, ${report.failures.length} remaining: ${report.failures.join("; ")}` }
        : { type: "NamespaceDeletionContentFailure", status: "False", reason: "ContentDeleted", message: "All content successfully deleted, may be waiting on finalization" },
      report.remaining.size > 0
        ? { type: "NamespaceContentRemaining", status: "True", reason: "SomeResourcesRemain", message: `Some resources are remaining: ${remaining}` }
        : { type: "NamespaceContentRemaining", status: "False", reason: "ContentRemoved", message: "All content successfully removed" },
      report.finalizers.size > 0
        ? { type: "NamespaceFinalizersRemaining", status: "True", reason: "SomeFinalizersRemain", message: `Some content in the namespace has finalizers remaining: ${[...report.finalizers].sort().join(", ")}` }
        : { type: "NamespaceFinalizersRemaining", status: "False", reason: "ContentHasNoFinalizers", message: "All content-preserving finalizers finished" },
    ];
    const current = ns.status?.conditions ?? [];
    const stamp = this.now().toISOString().replace(/\.\d{3}Z$/, "Z");
    let changed = false;
    const conditions = wanted.map((w) => {
      const had = current.find((c) => c.type === w.type);
      if (had && had.status === w.status && had.reason === w.reason && had.message === w.message) return had;
      changed = true;
      return { ...w, lastTransitionTime: had && had.status === w.status ? had.lastTransitionTime : stamp };
    });
    if (!changed) return;
    const next = coreV1Config.Namespace.fromPartial(ns);
    next.status = { phase: next.status?.phase || "Terminating", conditions: [...current.filter((c) => !wanted.some((w) => w.type === c.type)), ...conditions] };
    try {
      await this.client.updateStatus(namespaces, next, { signal });
    } catch (err) {
      if (signal.aborted) throw err;
      this.logger.warn({ component: "namespace", name: ns.metadata?.name, err }, "could not write namespace conditions");
    }
  }
}

/** Some of a Terminating namespace's content could not be listed or deleted; thrown from reconcile, so the namespace is retried. */
export class NamespaceDeletionError extends Error {
  override readonly name = "NamespaceDeletionError";
  readonly code = "NamespaceDeletionFailure";
}

/** Builds the Namespace controller on the context's manager: it empties and finalizes deleted namespaces. */
export function newNamespaceController(ctx: ControllerContext): void {
  const informer = ctx.informers.informerFor(namespaces);
  const reconciler = new NamespaceController(ctx.client, informer.lister, ctx.logger, ctx.now);
  const controller = ctx.manager.newController({ name: "namespace", reconciler, workers: ctx.config.workers });
  controller.watch(informer);
}
