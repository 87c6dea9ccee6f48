// The garbage collector: deletes dependents whose owners are gone, and carries out Foreground and Orphan deletion.
import { isConflict, isNotFound, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import type { Controller, Logger, Reconciler, Request, Result } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";
import { ObjectGraph, type GraphHandler } from "./graph.js";
import { removeFinalizer, removeOwnerReferences } from "./mutate.js";
import { classifyOwners, deletingWith, foregroundFinalizer, orphanFinalizer } from "./owners.js";

/** A foreground owner is re-checked this often even without events (a safety net, not the driver). */
const foregroundRecheckMs = 10_000;

/**
 * Work-queue keys are uids (no `/`, so the request's name is the uid): one object of any watched
 * kind. A reconcile acts on what the object is now:
 * - being deleted with the `orphan` finalizer: drop its ownerReference from every dependent, then the finalizer;
 * - being deleted with `foregroundDeletion`: delete its dependents, and drop the finalizer once no
 *   dependent that blocks owner deletion remains;
 * - otherwise, if it has owners: delete it when none of them exists any more (background), or drop
 *   the references to the owners that are gone when some remain.
 */
export class GarbageCollector implements Reconciler {
  readonly controller: Controller;
  readonly graph: ObjectGraph;

  constructor(
    private readonly client: ApiClient,
    private readonly logger: Logger,
    ctx: Pick<ControllerContext, "manager" | "informers"> & { workers?: number },
  ) {
    this.controller = ctx.manager.newController({ name: "garbagecollector", reconciler: this, workers: ctx.workers });
    this.graph = new ObjectGraph(ctx.informers, this.handler());
  }

  async reconcile({ name: uid }: Request, signal: AbortSignal): Promise<Result | void> {
    const node = this.graph.get(uid);
    if (!node) return;
    const { info, obj } = node;
    if (deletingWith(obj, orphanFinalizer)) {
      await this.orphanDependents(info, obj, signal);
      return;
    }
    if (deletingWith(obj, foregroundFinalizer)) return this.deleteDependentsFirst(info, obj, signal);
    if (!obj.metadata?.deletionTimestamp && (obj.metadata?.ownerReferences.length ?? 0) > 0) {
      await this.collectIfOwnerless(info, obj, signal);
    }
  }

  private async orphanDependents(info: KindInfo, owner: ApiObject, signal: AbortSignal): Promise<void> {
    const uid = owner.metadata!.uid;
    const only = new Set([uid]);
    for (const dep of await this.liveDependents(owner, signal)) {
      await removeOwnerReferences(this.client, dep.info, dep.obj, only, signal);
    }
    await removeFinalizer(this.client, info, owner, orphanFinalizer, signal);
    this.logger.info({ component: "garbagecollector", kind: info.kind, namespace: owner.metadata?.namespace, name: owner.metadata?.name }, "orphaned dependents");
  }

  /**
   * The owner's dependents as the apiserver has them now (its namespace, every kind the graph
   * watches). Orphaning must reach each of them, also one created just before the owner's deletion
   * that the caches do not show yet: once the owner is gone, that one would look ownerless and be
   * collected. Orphan deletions are rare; a List per kind each time is the price of not losing data.
   */
  private async liveDependents(owner: ApiObject, signal: AbortSignal): Promise<Array<{ info: KindInfo; obj: ApiObject }>> {
    const uid = owner.metadata!.uid;
    const namespace = owner.metadata?.namespace ?? "";
    const out: Array<{ info: KindInfo; obj: ApiObject }> = [];
    for (const info of this.graph.kinds()) {
      if (namespace && !info.namespaced) continue;
      const list = await this.client.listAll(info, { namespace: info.namespaced ? namespace : "", signal });
      for (const obj of list.items) if (obj.metadata?.ownerReferences.some((r) => r.uid === uid)) out.push({ info, obj });
    }
    return out;
  }

  private async deleteDependentsFirst(info: KindInfo, owner: ApiObject, signal: AbortSignal): Promise<Result> {
    const uid = owner.metadata!.uid;
    let blocking = 0;
    for (const dep of this.graph.dependents(uid)) {
      const ref = dep.obj.metadata!.ownerReferences.find((r) => r.uid === uid);
      if (ref?.blockOwnerDeletion === true) blocking++;
      if (dep.obj.metadata?.deletionTimestamp) continue;
      // A dependent another live owner still holds is not deleted: it only stops pointing here.
      const owners = await classifyOwners(this.graph, this.client, dep.obj, signal);
      if (owners.some((o) => o.state === "present")) {
        await removeOwnerReferences(this.client, dep.info, dep.obj, new Set([uid]), signal);
        continue;
      }
      await this.deleteObject(dep.info, dep.obj, signal);
    }
    if (blocking > 0) return { requeueAfterMs: foregroundRecheckMs };
    await removeFinalizer(this.client, info, owner, foregroundFinalizer, signal);
    return {};
  }

  private async collectIfOwnerless(info: KindInfo, obj: ApiObject, signal: AbortSignal): Promise<void> {
    const owners = await classifyOwners(this.graph, this.client, obj, signal);
    const absent = owners.filter((o) => o.state === "absent");
    if (absent.length === 0) return;
    if (owners.some((o) => o.state === "present")) {
      await removeOwnerReferences(this.client, info, obj, new Set(absent.map((o) => o.ref.uid)), signal);
      return;
    }
    // Every owner is gone or itself waiting for its dependents (foreground): this object goes.
    await this.deleteObject(info, obj, signal);
  }

  /** Deletes `obj` (Foreground when it has dependents of its own, so the deletion cascades). */
  private async deleteObject(info: KindInfo, obj: ApiObject, signal: AbortSignal): Promise<void> {
    const meta = obj.metadata!;
    const propagationPolicy = this.graph.dependents(meta.uid).length > 0 ? "Foreground" : "Background";
    try {
      await this.client.delete(info, meta.namespace, meta.name, { propagationPolicy, preconditions: { uid: meta.uid }, signal });
      this.logger.info({ component: "garbagecollector", kind: info.kind, namespace: meta.namespace, name: meta.name, propagationPolicy }, "deleted dependent");
    } catch (err) {
      // Gone already, or the name now holds another object (the uid precondition failed).
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }

  /** Handlers only enqueue uids: the object itself, its waiting owners, and on delete its dependents. */
  private handler(): GraphHandler {
    const enqueueWaitingOwners = (obj: ApiObject): void => {
      for (const ref of obj.metadata?.ownerReferences ?? []) {
        const owner = this.graph.get(ref.uid);
        if (owner && deletingWith(owner.obj, foregroundFinalizer)) this.controller.enqueueKey(ref.uid);
      }
    };
    return {
      onChange: (_info, obj, old) => {
        const meta = obj.metadata;
        if (!meta?.uid) return;
        if (meta.ownerReferences.length > 0 || (meta.deletionTimestamp && meta.finalizers.length > 0)) this.controller.enqueueKey(meta.uid);
        enqueueWaitingOwners(obj);
        // A dependent that dropped its reference to a waiting owner may be what that owner waits for.
        if (old) enqueueWaitingOwners(old);
      },
      onDelete: (_info, obj) => {
        const uid = obj.metadata?.uid;
        if (!uid) return;
        for (const dep of this.graph.dependents(uid)) this.controller.enqueueKey(dep.obj.metadata!.uid);
        enqueueWaitingOwners(obj);
      },
    };
  }
}

/** Builds the garbage collector on the context's manager: the owner graph of every kind it watches. */
export function newGarbageCollector(ctx: ControllerContext): void {
  new GarbageCollector(ctx.client, ctx.logger, { manager: ctx.manager, informers: ctx.informers, workers: ctx.config.workers });
}
