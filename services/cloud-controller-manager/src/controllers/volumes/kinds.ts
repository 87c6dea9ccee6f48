// The kinds and annotations the volume controllers work with.
import { kindFor, type coreV1Pod, type coreV1Volume, type KindInfo, type storageV1 } from "@kubeplane/api";

export type PersistentVolume = coreV1Volume.PersistentVolume;
export type PersistentVolumeClaim = coreV1Volume.PersistentVolumeClaim;
export type StorageClass = storageV1.StorageClass;
export type Pod = coreV1Pod.Pod;

export const pvKind = kindFor("v1", "PersistentVolume") as KindInfo<PersistentVolume>;
export const pvcKind = kindFor("v1", "PersistentVolumeClaim") as KindInfo<PersistentVolumeClaim>;
export const storageClassKind = kindFor("storage.k8s.io/v1", "StorageClass") as KindInfo<StorageClass>;
export const podKind = kindFor("v1", "Pod") as KindInfo<Pod>;

/** Kubernetes' binding annotations: the PVC's bind is complete; the controller (not the user) bound it. */
export const BIND_COMPLETED = "pv.kubernetes.io/bind-completed";
export const BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller";
/** On a PV: which provisioner made it (only those are deleted through the provider). */
export const PROVISIONED_BY = "pv.kubernetes.io/provisioned-by";

/** The pods index: `namespace/claimName` for each PVC a pod uses. */
export const BY_CLAIM = "pvc";
export function claimsOfPod(pod: Pod): string[] {
  const ns = pod.metadata?.namespace ?? "";
  return (pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim ? [`${ns}/${v.persistentVolumeClaim.claimName}`] : []));
}
