// Status subresource updates: metadata immutability plus phase and condition status values.
import { FieldPath, type FieldError } from "../field-errors.js";
import type { ApiObject, KindInfo } from "../kinds.js";
import type { CertificateSigningRequest } from "../gen/kubeplane/certificates/v1/certificate_signing_request.js";
import type { ResourceQuota } from "../gen/kubeplane/core/v1/resource_quota.js";
import { validateCsrStatus } from "./certificates.js";
import { validateEnum } from "./common.js";
import { validateObjectMetaUpdate } from "./object-meta.js";
import { validateResourceQuota } from "./resource-policy.js";

const PHASES: Readonly<Record<string, readonly string[]>> = {
  Pod: ["Pending", "Running", "Succeeded", "Failed", "Unknown"],
  Namespace: ["Active", "Terminating"],
  PersistentVolume: ["Pending", "Available", "Bound", "Released", "Failed"],
  PersistentVolumeClaim: ["Pending", "Bound", "Lost"],
};

interface WithStatus {
  status?: { phase?: unknown; conditions?: unknown };
}

/**
 * Validates a write to the status subresource of `info`'s kind: metadata.name, namespace, uid and
 * creationTimestamp unchanged, a known phase, and True/False/Unknown condition statuses. Never throws.
 */
export function validateStatusUpdate(info: KindInfo, obj: ApiObject, old: ApiObject): FieldError[] {
  const errs = validateObjectMetaUpdate(obj.metadata, old.metadata);
  if (info.kind === "CertificateSigningRequest") errs.push(...validateCsrStatus(obj as CertificateSigningRequest));
  if (info.kind === "ResourceQuota") errs.push(...validateResourceQuota(obj as ResourceQuota));
  const status = (obj as WithStatus).status;
  if (!status) return errs;
  const path = FieldPath.root("status");
  const phases = PHASES[info.kind];
  if (phases && typeof status.phase === "string") errs.push(...validateEnum(status.phase, phases, path.child("phase"), false));
  if (Array.isArray(status.conditions)) {
    status.conditions.forEach((c: unknown, i) => {
      const cond = c as { type?: unknown; status?: unknown };
      const cp = path.child("conditions").index(i);
      if (typeof cond.type === "string" && cond.type === "") errs.push({ type: "FieldValueRequired", field: String(cp.child("type")), detail: "must be specified" });
      if (typeof cond.status === "string") errs.push(...validateEnum(cond.status, ["True", "False", "Unknown"], cp.child("status")));
    });
  }
  return errs;
}
