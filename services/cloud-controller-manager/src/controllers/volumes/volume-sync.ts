// Reconciles one PersistentVolume: Available when unclaimed; when its claim is gone, deleted or Released per its reclaim policy.
import { coreV1Volume, isNotFound } from "@kubeplane/api";
import type { Lister } from "@kubeplane/client";
import type { Reconciler, Request, Result } from "@kubeplane/controller";
import type { Volumes } from "../../provider/interface.js";
import type { ControllerContext } from "../context.js";
import { PROVISIONED_BY, pvcKind, pvKind, type PersistentVolume, type PersistentVolumeClaim } from "./kinds.js";

/**
 * Kubernetes' PV controller's volume side. A claim missing from the cache is confirmed with a
 * live GET before anything is released or deleted: the cache may not have a just-created claim yet.
 * Only PVs made by one of the provider's provisioners are deleted through it; another PV with
 * policy Delete becomes Failed, as Kubernetes does without a deleter.
 */
export class VolumeReconciler implements Reconciler {
  constructor(
    private readonly ctx: ControllerContext,
    private readonly listers: { volumes: Lister<PersistentVolume>; claims: Lister<PersistentVolumeClaim> },
    private readonly provisioner: Volumes | undefined,
  ) {}

  async reconcile({ name }: Request, signal: AbortSignal): Promise<Result> {
    const pv = this.listers.volumes.get("", name);
    if (!pv || pv.metadata?.deletionTimestamp) return {};
    const ref = pv.spec?.claimRef;
    if (!ref) {
      if (pv.status?.phase !== "Available") await this.setPhase(pv, "Available", "", signal);
      return {};
    }
    if (await this.claimExists(ref, signal)) return {};
    if (ref.uid === "") {
      // Pre-bound by the user to a claim that does not exist yet: it waits for that claim.
      if (pv.status?.phase !== "Available") await this.setPhase(pv, "Available", "", signal);
      return {};
    }
    const policy = pv.spec?.persistentVolumeReclaimPolicy || "Retain";
    if (policy === "Delete") {
      const by = pv.metadata?.annotations[PROVISIONED_BY];
      if (this.provisioner && by && this.provisioner.provisioners.includes(by)) {
        await this.deleteVolume(pv, signal);
        return {};
      }
      if (pv.status?.phase !== "Failed") await this.setPhase(pv, "Failed", `no deleter for volume provisioned by "${by ?? ""}"`, signal);
      return {};
    }
    if (pv.status?.phase !== "Released") {
      await this.setPhase(pv, "Released", "", signal);
      this.ctx.logger.info({ controller: "volume", kind: "PersistentVolume", name, claim: `${ref.namespace}/${ref.name}` }, "volume released; retained per its reclaim policy");
    }
    return {};
  }

  private async claimExists(ref: coreV1Volume.PersistentVolumeSpec["claimRef"] & object, signal: AbortSignal): Promise<boolean> {
    const cached = this.listers.claims.get(ref.namespace, ref.name);
    if (cached && (ref.uid === "" || cached.metadata?.uid === ref.uid)) return true;
    try {
      const live = (await this.ctx.client.get(pvcKind, ref.namespace, ref.name, { signal })) as PersistentVolumeClaim;
      return ref.uid === "" || live.metadata?.uid === ref.uid;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private async deleteVolume(pv: PersistentVolume, signal: AbortSignal): Promise<void> {
    const started = performance.now();
    const op = { operation_name: "delete", status: "success" };
    try {
      await this.provisioner!.deleteVolume(pv);
      await this.ctx.client.delete(pvKind, "", pv.metadata!.name, { preconditions: { uid: pv.metadata!.uid }, signal });
      this.ctx.logger.info({ controller: "volume", kind: "PersistentVolume", name: pv.metadata!.name }, "volume deleted with its claim (reclaim policy Delete)");
    } catch (err) {
      if (isNotFound(err)) return;
      op.status = "fail-unknown";
      this.ctx.events.record(pvKind, pv, "Warning", "VolumeFailedDelete", (err as Error).message);
      throw err;
    } finally {
      this.ctx.metrics.storageOperation.observe(op, (performance.now() - started) / 1000);
    }
  }

  private async setPhase(pv: PersistentVolume, phase: string, message: string, signal: AbortSignal): Promise<void> {
    const updated = coreV1Volume.PersistentVolume.fromPartial(pv);
    updated.status = coreV1Volume.PersistentVolumeStatus.fromPartial({ ...pv.status, phase, message, reason: "", lastPhaseTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z") });
    await this.ctx.client.updateStatus(pvKind, updated, { signal });
  }
}
