// Owner references: the controller reference of an object, and making one for an owner.
import { metaV1, type ApiObject } from "@kubeplane/api";

type OwnerReference = metaV1.OwnerReference;

/** The ownerReference marked `controller: true`, if any. */
export function controllerRef(obj: ApiObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences.find((r) => r.controller === true);
}

/** A controller reference to `owner` (blockOwnerDeletion set, as Kubernetes' controllers do). */
export function newControllerRef(owner: ApiObject): OwnerReference {
  return metaV1.OwnerReference.fromPartial({
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata!.name,
    uid: owner.metadata!.uid,
    controller: true,
    blockOwnerDeletion: true,
  });
}

/** Whether `obj` is controlled by the object with `uid`. */
export function isControlledBy(obj: ApiObject, uid: string): boolean {
  return controllerRef(obj)?.uid === uid;
}

/**
 * Maps an owned object to its controller's work-queue key when the controller is of `ownerKind`:
 * the handler for "pods of ReplicaSets".
 */
export function ownerKey(ownerKind: string): (obj: ApiObject) => string[] {
  return (obj) => {
    const ref = controllerRef(obj);
    if (!ref || ref.kind !== ownerKind) return [];
    const ns = obj.metadata?.namespace;
    return [ns ? `${ns}/${ref.name}` : ref.name];
  };
}
