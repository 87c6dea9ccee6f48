// Kubernetes' defaults for storage kinds: PersistentVolume, PersistentVolumeClaim, StorageClass.
import type { PersistentVolume, PersistentVolumeClaim } from "../gen/kubeplane/core/v1/volume.js";
import type { StorageClass } from "../gen/kubeplane/storage/v1/storage_class.js";

/** SetDefaults_PersistentVolumeClaimSpec: volumeMode Filesystem. */
export function defaultPvc(pvc: PersistentVolumeClaim): void {
  if (pvc.spec) pvc.spec.volumeMode ??= "Filesystem";
}

/** SetDefaults_PersistentVolume: reclaim policy Retain, volumeMode Filesystem. */
export function defaultPv(pv: PersistentVolume): void {
  if (!pv.spec) return;
  if (pv.spec.persistentVolumeReclaimPolicy === "") pv.spec.persistentVolumeReclaimPolicy = "Retain";
  pv.spec.volumeMode ??= "Filesystem";
}

/** SetDefaults_StorageClass: reclaimPolicy Delete, volumeBindingMode Immediate. */
export function defaultStorageClass(sc: StorageClass): void {
  sc.reclaimPolicy ??= "Delete";
  sc.volumeBindingMode ??= "Immediate";
}
