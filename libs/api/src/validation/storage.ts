// PersistentVolume, PersistentVolumeClaim and StorageClass validation, with the PVC update rules.
import { FieldPath, forbidden, invalid, notSupported, required, type FieldError } from "../field-errors.js";
import type { PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimSpec } from "../gen/kubeplane/core/v1/volume.js";
import type { StorageClass } from "../gen/kubeplane/storage/v1/storage_class.js";
import { parseQuantity } from "../quantity.js";
import { deepEqual, validateEnum, validateLabelSelector, validateQuantity, validateResourceList } from "./common.js";
import { qualifiedNameProblems } from "./names.js";

const ACCESS_MODES = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"] as const;
const spec = FieldPath.root("spec");

function validateAccessModes(modes: readonly string[], path: FieldPath): FieldError[] {
  if (modes.length === 0) return [required(path, "at least 1 access mode is required")];
  const errs: FieldError[] = [];
  for (const m of modes) if (!(ACCESS_MODES as readonly string[]).includes(m)) errs.push(notSupported(path, m, ACCESS_MODES));
  if (modes.includes("ReadWriteOncePod") && modes.length > 1) errs.push(forbidden(path, "may not use ReadWriteOncePod with other access modes"));
  return errs;
}

/** A PersistentVolumeClaimSpec (also a StatefulSet's volumeClaimTemplates). */
export function validatePvcSpec(s: PersistentVolumeClaimSpec | undefined, path: FieldPath): FieldError[] {
  if (!s) return [required(path, "")];
  const errs = validateAccessModes(s.accessModes, path.child("accessModes"));
  errs.push(...validateLabelSelector(s.selector, path.child("selector")));
  const storage = s.resources?.requests.storage;
  const rp = path.child("resources").child("requests");
  if (storage === undefined) errs.push(required(rp.key("storage"), ""));
  else {
    const q = validateQuantity(storage, rp.key("storage"));
    errs.push(...q);
    if (!q.length && parseQuantity(storage).nanos <= 0n) errs.push(invalid(rp.key("storage"), storage, "must be greater than zero"));
  }
  if (s.resources) errs.push(...validateResourceList(s.resources.requests, rp), ...validateResourceList(s.resources.limits, path.child("resources").child("limits")));
  errs.push(...validateEnum(s.volumeMode, ["Block", "Filesystem"], path.child("volumeMode"), false));
  return errs;
}

/** A PersistentVolumeClaim on create. */
export function validatePvc(pvc: PersistentVolumeClaim): FieldError[] {
  return validatePvcSpec(pvc.spec, spec);
}

/** A PVC update: the spec is immutable except a larger storage request (and volumeName binding once). */
export function validatePvcUpdate(pvc: PersistentVolumeClaim, old: PersistentVolumeClaim): FieldError[] {
  const now = pvc.spec;
  const was = old.spec;
  if (!now || !was) return [];
  const errs = validatePvcSpec(now, spec);
  // An unbound claim without a class (nil) may be given one, once (Kubernetes' retroactive default StorageClass).
  const classAssigned = was.storageClassName === undefined && was.volumeName === "";
  const strip = (s: PersistentVolumeClaimSpec) => ({ ...s, resources: undefined, volumeName: "", volumeAttributesClassName: undefined, ...(classAssigned ? { storageClassName: undefined } : {}) });
  const binding = was.volumeName === "" || was.volumeName === now.volumeName;
  if (!deepEqual(strip(now), strip(was)) || !binding) {
    errs.push(forbidden(spec, "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
  }
  const before = was.resources?.requests.storage;
  const after = now.resources?.requests.storage;
  if (before !== undefined && after !== undefined) {
    try {
      if (parseQuantity(after).cmp(parseQuantity(before)) < 0) {
        errs.push(forbidden(spec.child("resources").child("requests").key("storage"), "field can not be less than previous value"));
      }
    } catch {
      // Reported by validatePvcSpec.
    }
  }
  return errs;
}

/** A PersistentVolume: capacity.storage, access modes, exactly one source, reclaim policy. */
export function validatePv(pv: PersistentVolume): FieldError[] {
  const s = pv.spec;
  if (!s) return [required(spec, "")];
  const errs = validateAccessModes(s.accessModes, spec.child("accessModes"));
  const cp = spec.child("capacity");
  if (s.capacity.storage === undefined) errs.push(required(cp.key("storage"), ""));
  errs.push(...validateResourceList(s.capacity, cp));
  const sources = [s.hostPath, s.local, s.csi].filter((x) => x !== undefined).length;
  if (sources === 0) errs.push(required(spec, "must specify a volume type"));
  else if (sources > 1) errs.push(forbidden(spec, "may not specify more than 1 volume type"));
  errs.push(...validateEnum(s.persistentVolumeReclaimPolicy, ["Retain", "Recycle", "Delete"], spec.child("persistentVolumeReclaimPolicy"), false));
  errs.push(...validateEnum(s.volumeMode, ["Block", "Filesystem"], spec.child("volumeMode"), false));
  if (s.local && s.nodeAffinity === undefined) errs.push(required(spec.child("nodeAffinity"), "Local volume requires node affinity"));
  return errs;
}

/** A PV update: the volume source is immutable. */
export function validatePvUpdate(pv: PersistentVolume, old: PersistentVolume): FieldError[] {
  const errs = validatePv(pv);
  const source = (p: PersistentVolume) => ({ hostPath: p.spec?.hostPath, local: p.spec?.local, csi: p.spec?.csi });
  if (!deepEqual(source(pv), source(old))) errs.push(forbidden(spec.child("persistentvolumesource"), "spec.persistentvolumesource is forbidden once the volume is created"));
  if (old.spec?.volumeMode !== undefined && pv.spec?.volumeMode !== old.spec.volumeMode) errs.push(invalid(spec.child("volumeMode"), pv.spec?.volumeMode, "field is immutable"));
  return errs;
}

/** A StorageClass: provisioner required, policies valid; parameters and provisioner immutable on update. */
export function validateStorageClass(sc: StorageClass, old?: StorageClass): FieldError[] {
  const errs: FieldError[] = [];
  if (sc.provisioner === "") errs.push(required(FieldPath.root("provisioner"), ""));
  else for (const problem of qualifiedNameProblems(sc.provisioner)) errs.push(invalid(FieldPath.root("provisioner"), sc.provisioner, problem));
  errs.push(...validateEnum(sc.reclaimPolicy, ["Delete", "Retain"], FieldPath.root("reclaimPolicy"), false));
  errs.push(...validateEnum(sc.volumeBindingMode, ["Immediate", "WaitForFirstConsumer"], FieldPath.root("volumeBindingMode"), false));
  if (old) {
    if (!deepEqual(sc.parameters, old.parameters)) errs.push(forbidden(FieldPath.root("parameters"), "updates to parameters are forbidden."));
    if (sc.provisioner !== old.provisioner) errs.push(forbidden(FieldPath.root("provisioner"), "updates to provisioner are forbidden."));
    if (sc.reclaimPolicy !== old.reclaimPolicy) errs.push(forbidden(FieldPath.root("reclaimPolicy"), "updates to reclaimPolicy are forbidden."));
    if (sc.volumeBindingMode !== old.volumeBindingMode) errs.push(invalid(FieldPath.root("volumeBindingMode"), sc.volumeBindingMode, "field is immutable"));
  }
  return errs;
}
