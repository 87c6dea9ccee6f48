// CertificateSigningRequest strategy: the requester comes from the authenticated user; approval and status are separate writers.
import { certificatesV1, type ApiObject } from "@kubeplane/api";
import type { UserInfo } from "../authn/index.js";
import { defaultStrategy, type Strategy } from "./strategy.js";

type Csr = certificatesV1.CertificateSigningRequest;
type Condition = certificatesV1.CertificateSigningRequestCondition;

/** metav1.Time of now: RFC 3339, second precision. */
const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

const APPROVAL_TYPES = new Set(["Approved", "Denied"]);

/**
 * On create: spec.username, uid and groups are the caller's, whatever the body said (a requester
 * cannot claim another identity), and status starts empty (kube-apiserver's csrStrategy).
 */
export function setCsrRequester(obj: ApiObject, user: UserInfo): void {
  const csr = obj as Csr;
  csr.spec ??= certificatesV1.CertificateSigningRequestSpec.fromPartial({});
  csr.spec.username = user.username;
  csr.spec.uid = user.uid ?? "";
  csr.spec.groups = [...user.groups];
  csr.status = certificatesV1.CertificateSigningRequestStatus.fromPartial({});
}

/** Conditions as a writer sends them: status defaults to True, times are filled (Kubernetes' defaulting). */
function normalized(conditions: readonly Condition[], old: readonly Condition[], at: string): Condition[] {
  return conditions.map((c) => {
    const status = c.status || "True";
    const before = old.find((o) => o.type === c.type);
    const lastTransitionTime = c.lastTransitionTime || (before && before.status === status ? before.lastTransitionTime : at);
    return { ...c, status, lastUpdateTime: c.lastUpdateTime || at, lastTransitionTime };
  });
}

/**
 * The approval subresource: only the Approved and Denied conditions come from `obj`; the other
 * conditions, the certificate, spec and metadata stay as stored. A decision, once made, stays:
 * Kubernetes forbids removing an Approved or Denied condition.
 */
export function prepareCsrApproval(obj: ApiObject, old: ApiObject): ApiObject {
  const next = certificatesV1.CertificateSigningRequest.fromPartial(old);
  const oldConditions = next.status?.conditions ?? [];
  const wanted = normalized(((obj as Csr).status?.conditions ?? []).filter((c) => APPROVAL_TYPES.has(c.type)), oldConditions, now());
  const kept = oldConditions.filter((c) => !APPROVAL_TYPES.has(c.type));
  const decided = oldConditions.filter((c) => APPROVAL_TYPES.has(c.type) && !wanted.some((w) => w.type === c.type));
  next.status ??= certificatesV1.CertificateSigningRequestStatus.fromPartial({});
  next.status.conditions = [...kept, ...decided, ...wanted];
  next.metadata!.resourceVersion = obj.metadata?.resourceVersion ?? "";
  return next;
}

/**
 * The status subresource (the signer): the certificate and the conditions other than Approved and
 * Denied come from `obj`; the approval decision stays as stored, so a signer cannot approve.
 */
export function prepareCsrStatusUpdate(obj: ApiObject, old: ApiObject): ApiObject {
  const next = certificatesV1.CertificateSigningRequest.fromPartial(old);
  const oldConditions = next.status?.conditions ?? [];
  const status = (obj as Csr).status;
  const approval = oldConditions.filter((c) => APPROVAL_TYPES.has(c.type));
  const others = normalized((status?.conditions ?? []).filter((c) => !APPROVAL_TYPES.has(c.type)), oldConditions, now());
  next.status = certificatesV1.CertificateSigningRequestStatus.fromPartial({ certificate: status?.certificate ?? "", conditions: [...approval, ...others] });
  next.metadata!.resourceVersion = obj.metadata?.resourceVersion ?? "";
  return next;
}

/** The CSR strategy: the requester is the caller; the status subresource is the signer's (approval is its own subresource). */
export const csrStrategy: Strategy = {
  ...defaultStrategy,
  prepareForCreate(_info, obj, request) {
    if (request) setCsrRequester(obj, request.user);
  },
  prepareForStatusUpdate: (_info, obj, old) => prepareCsrStatusUpdate(obj, old),
};
