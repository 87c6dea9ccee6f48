// Reconciles one PersistentVolumeClaim: bind it to a matching PV, or provision one when its class is ours and its first consumer is scheduled.
import { coreV1Volume, isAlreadyExists, type coreV1Node } from "@kubeplane/api";
import type { Lister } from "@kubeplane/client";
import type { Reconciler, Request, Result } from "@kubeplane/controller";
import type { Volumes } from "../../provider/interface.js";
import type { ControllerContext } from "../context.js";
import { BIND_COMPLETED, BOUND_BY_CONTROLLER, BY_CLAIM, PROVISIONED_BY, pvcKind, pvKind, type PersistentVolume, type PersistentVolumeClaim, type Pod, type StorageClass } from "./kinds.js";
import { classOf, findMatchingVolume } from "./matching.js";

/** The StorageClass annotation marking the cluster's default class. */
export const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

/** The caches a claim reconcile reads. */
export interface ClaimListers {
  claims: Lister<PersistentVolumeClaim>;
  volumes: Lister<PersistentVolume>;
  classes: Lister<StorageClass>;
  pods: Lister<Pod>;
  nodes: Lister<coreV1Node.Node>;
}

/**
 * Kubernetes' PV controller's claim side, for static binding and the provider's provisioners.
 * Binding writes PV.spec.claimRef first, then the PVC's volumeName, then both statuses: each step
 * is idempotent and a crash between steps is finished by the next reconcile (a PV whose claimRef
 * names the claim is taken first). Concurrent reconciles of different claims may pick the same PV:
 * the claimRef write is a compare-and-swap on its resourceVersion, so only one wins.
 */
export class ClaimReconciler implements Reconciler {
  /** Reasons already reported per claim uid, so a retry does not repeat an Event. */
  private readonly reported = new Map<string, string>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly listers: ClaimListers,
    private readonly volumes: Volumes | undefined,
  ) {}

  async reconcile({ namespace, name }: Request, signal: AbortSignal): Promise<Result> {
    const pvc = this.listers.claims.get(namespace, name);
    if (!pvc || pvc.metadata?.deletionTimestamp) return {};
    const bound = pvc.spec?.volumeName ? this.listers.volumes.get("", pvc.spec.volumeName) : undefined;
    if (pvc.spec?.volumeName) {
      if (!bound) {
        if (pvc.status?.phase === "Bound") await this.setClaimPhase(pvc, "Lost", undefined, signal);
        return {};
      }
      const ref = bound.spec?.claimRef;
      if (ref && ref.uid && ref.uid !== pvc.metadata?.uid) {
        this.report(pvc, "Warning", "ClaimMisbound", `Two claims are bound to the same volume, this one is bound incorrectly`);
        return {};
      }
      await this.bind(bound, pvc, signal);
      return {};
    }

    if (pvc.spec && pvc.spec.storageClassName === undefined) {
      // Kubernetes' retroactive default StorageClass: a claim that names no class (nil, not "") gets
      // the default one, so claims written before the class existed (or without admission) bind.
      const fallback = defaultStorageClass(this.listers.classes.list());
      if (fallback) {
        const updated = coreV1Volume.PersistentVolumeClaim.fromPartial({ ...pvc, apiVersion: "v1", kind: "PersistentVolumeClaim" });
        updated.spec!.storageClassName = fallback.metadata!.name;
        await this.ctx.client.update(pvcKind, updated, { signal });
        return {}; // Its event reconciles the claim again, now with a class.
      }
    }
    const cls = this.listers.classes.get("", classOf(pvc));
    const waitForConsumer = cls?.volumeBindingMode === "WaitForFirstConsumer";
    const node = waitForConsumer ? this.consumerNode(pvc) : undefined;
    if (waitForConsumer && !node) return {}; // A pod scheduled with this claim requeues it.
    const match = findMatchingVolume(pvc, this.listers.volumes.list(), node);
    if (match) {
      await this.bind(match, pvc, signal);
      return {};
    }
    if (cls && this.volumes?.provisioners.includes(cls.provisioner)) {
      if (!node) {
        this.report(pvc, "Warning", "ProvisioningFailed", `storage class ${cls.metadata?.name} uses ${cls.provisioner}, which needs volumeBindingMode WaitForFirstConsumer`);
        return {};
      }
      await this.provision(pvc, cls, node, signal);
      return {};
    }
    const why = classOf(pvc) ? `no persistent volumes available for this claim and storage class "${classOf(pvc)}" has no provisioner here` : "no persistent volumes available for this claim and no storage class is set";
    this.report(pvc, "Normal", "FailedBinding", why);
    return {};
  }

  /** The node a scheduled pod using the claim runs on (Kubernetes' selected-node). */
  private consumerNode(pvc: PersistentVolumeClaim): coreV1Node.Node | undefined {
    const key = `${pvc.metadata?.namespace}/${pvc.metadata?.name}`;
    const pod = this.listers.pods.byIndex(BY_CLAIM, key).find((p) => p.spec?.nodeName && !p.metadata?.deletionTimestamp);
    if (!pod) return undefined;
    const node = this.listers.nodes.get("", pod.spec!.nodeName);
    // The pod is bound to a node we have not seen yet: retry (with back-off) until the cache has it.
    if (!node) throw new Error(`claim ${key}: its pod ${pod.metadata?.name} runs on node ${pod.spec!.nodeName}, which is not in the cache yet`);
    return node;
  }

  private async provision(pvc: PersistentVolumeClaim, cls: StorageClass, node: coreV1Node.Node, signal: AbortSignal): Promise<void> {
    const pvName = `pvc-${pvc.metadata!.uid}`;
    if (this.listers.volumes.get("", pvName)) return; // Made already; its event brings us back to bind it.
    const started = performance.now();
    const op = { operation_name: "provision", status: "success" };
    try {
      const volume = await this.volumes!.provision({ pvName, claimNamespace: pvc.metadata!.namespace, claimName: pvc.metadata!.name, node, parameters: cls.parameters });
      const pv = coreV1Volume.PersistentVolume.fromPartial({
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: pvName, annotations: { ...volume.annotations, [PROVISIONED_BY]: cls.provisioner } },
        spec: {
          ...volume.spec,
          capacity: { storage: pvc.spec!.resources!.requests["storage"]! },
          accessModes: pvc.spec!.accessModes,
          claimRef: { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace: pvc.metadata!.namespace, name: pvc.metadata!.name, uid: pvc.metadata!.uid, resourceVersion: "", fieldPath: "" },
          persistentVolumeReclaimPolicy: cls.reclaimPolicy || "Delete",
          storageClassName: cls.metadata!.name,
          mountOptions: cls.mountOptions,
          volumeMode: pvc.spec!.volumeMode ?? "Filesystem",
        },
      });
      try {
        await this.ctx.client.create(pvKind, pv, { signal });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      this.ctx.logger.info({ controller: "volume", kind: "PersistentVolumeClaim", namespace: pvc.metadata!.namespace, name: pvc.metadata!.name, pv: pvName, node: node.metadata?.name }, "volume provisioned");
      this.report(pvc, "Normal", "ProvisioningSucceeded", `Successfully provisioned volume ${pvName} on node ${node.metadata?.name}`);
    } catch (err) {
      op.status = "fail-unknown";
      this.report(pvc, "Warning", "ProvisioningFailed", `failed to provision volume with StorageClass "${cls.metadata?.name}": ${(err as Error).message}`);
      throw err;
    } finally {
      this.ctx.metrics.storageOperation.observe(op, (performance.now() - started) / 1000);
    }
  }

  /** Claims `pv` for `pvc` (if not yet), points the claim at it, and marks both Bound. */
  private async bind(pv: PersistentVolume, pvc: PersistentVolumeClaim, signal: AbortSignal): Promise<void> {
    const { client } = this.ctx;
    const uid = pvc.metadata!.uid;
    if (pv.spec?.claimRef?.uid !== uid) {
      const claimed = coreV1Volume.PersistentVolume.fromPartial(pv);
      claimed.spec!.claimRef = { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace: pvc.metadata!.namespace, name: pvc.metadata!.name, uid, resourceVersion: pvc.metadata!.resourceVersion, fieldPath: "" };
      if (!pv.spec?.claimRef) claimed.metadata!.annotations = { ...claimed.metadata!.annotations, [BOUND_BY_CONTROLLER]: "yes" };
      pv = (await client.update(pvKind, claimed, { signal })) as PersistentVolume;
    }
    if (pv.status?.phase !== "Bound") {
      const status = coreV1Volume.PersistentVolume.fromPartial(pv);
      status.status = coreV1Volume.PersistentVolumeStatus.fromPartial({ ...pv.status, phase: "Bound", reason: "", message: "" });
      await client.updateStatus(pvKind, status, { signal });
    }
    if (pvc.spec?.volumeName !== pv.metadata!.name || pvc.metadata?.annotations[BIND_COMPLETED] !== "yes") {
      const claim = coreV1Volume.PersistentVolumeClaim.fromPartial(pvc);
      claim.spec!.volumeName = pv.metadata!.name;
      claim.metadata!.annotations = { ...claim.metadata!.annotations, [BIND_COMPLETED]: "yes", ...(pvc.spec?.volumeName ? {} : { [BOUND_BY_CONTROLLER]: "yes" }) };
      pvc = (await client.update(pvcKind, claim, { signal })) as PersistentVolumeClaim;
    }
    if (pvc.status?.phase !== "Bound") {
      await this.setClaimPhase(pvc, "Bound", pv, signal);
      this.ctx.logger.info({ controller: "volume", kind: "PersistentVolumeClaim", namespace: pvc.metadata!.namespace, name: pvc.metadata!.name, pv: pv.metadata!.name }, "claim bound");
    }
  }

  private async setClaimPhase(pvc: PersistentVolumeClaim, phase: "Bound" | "Lost", pv: PersistentVolume | undefined, signal: AbortSignal): Promise<void> {
    const claim = coreV1Volume.PersistentVolumeClaim.fromPartial(pvc);
    claim.status = coreV1Volume.PersistentVolumeClaimStatus.fromPartial({
      ...pvc.status,
      phase,
      accessModes: pv?.spec?.accessModes ?? pvc.status?.accessModes ?? [],
      capacity: pv?.spec?.capacity ?? pvc.status?.capacity ?? {},
    });
    await this.ctx.client.updateStatus(pvcKind, claim, { signal });
    if (phase === "Lost") this.report(pvc, "Warning", "ClaimLost", `Bound claim has lost its PersistentVolume ${pvc.spec?.volumeName}. Data on the volume is lost!`);
  }

  private report(pvc: PersistentVolumeClaim, type: "Normal" | "Warning", reason: string, message: string): void {
    const uid = pvc.metadata?.uid ?? "";
    if (this.reported.get(uid) === `${reason}/${message}`) return;
    this.reported.set(uid, `${reason}/${message}`);
    // Bounded: reports of deleted claims are not worth keeping forever.
    if (this.reported.size > 10_000) this.reported.delete(this.reported.keys().next().value!);
    this.ctx.events.record(pvcKind, pvc, type, reason, message);
  }
}

/** The class annotated as the default (the newest when several are, as Kubernetes' GetDefaultClass), if any. */
export function defaultStorageClass(classes: readonly StorageClass[]): StorageClass | undefined {
  const defaults = classes.filter((c) => c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true" && !c.metadata?.deletionTimestamp);
  defaults.sort((a, b) => (b.metadata?.creationTimestamp ?? "").localeCompare(a.metadata?.creationTimestamp ?? "") || (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
  return defaults[0];
}
