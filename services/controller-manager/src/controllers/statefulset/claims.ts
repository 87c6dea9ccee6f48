// A StatefulSet's per-ordinal PersistentVolumeClaims: their names and the claim made from each volumeClaimTemplate.
import { coreV1Volume, metaV1, type appsV1StatefulSet } from "@kubeplane/api";
import { newControllerRef } from "@kubeplane/controller";

type StatefulSet = appsV1StatefulSet.StatefulSet;
type Claim = coreV1Volume.PersistentVolumeClaim;

/** The claim of template `claim` for `ordinal`: `<claim>-<set>-<ordinal>`. */
export function claimName(claim: string, setName: string, ordinal: number): string {
  return `${claim}-${setName}-${ordinal}`;
}

/**
 * The claim of `template` for `ordinal`, labelled with the set's selector labels. With
 * whenDeleted=Delete it is owned (not controlled) by the set, so the garbage collector removes it
 * with the set; otherwise it outlives the set, as Kubernetes' default Retain.
 */
export function claimFor(set: StatefulSet, template: Claim, ordinal: number): Claim {
  const retainOnDelete = set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted !== "Delete";
  const owner = metaV1.OwnerReference.fromPartial({ ...newControllerRef(set), controller: false, blockOwnerDeletion: false });
  return coreV1Volume.PersistentVolumeClaim.fromPartial({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: claimName(template.metadata?.name ?? "", set.metadata!.name, ordinal),
      namespace: set.metadata!.namespace,
      labels: { ...(template.metadata?.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) },
      annotations: { ...(template.metadata?.annotations ?? {}) },
      ownerReferences: retainOnDelete ? [] : [owner],
    },
    spec: template.spec,
  });
}
