// The audit of a gRPC call, reachable from the call object by the request path's later steps (authorize, watch).
import type { UserInfo } from "../authn/index.js";
import type { AuditRequest } from "./auditor.js";

/** What the request path records on a call's audit beyond what the audit wrapper sees itself. */
export interface CallAudit {
  readonly request: AuditRequest;
  /** The authenticated user, before impersonation (the policy matches on it). */
  authenticated?: UserInfo;
  /** Emits RequestReceived (the attributes are filled first); the authorize step calls it through `auditAuthorization`. */
  requestReceived(): void;
  /** Emits ResponseStarted (the attributes are filled first); the wrapper calls it at a stream's first message. */
  responseStarted(): void;
}

const audits = new WeakMap<object, CallAudit>();

/** Attaches `audit` to `call` (the audit wrapper, once per call). */
export function attachCallAudit(call: object, audit: CallAudit): void {
  audits.set(call, audit);
}

/** The call's audit, or undefined when auditing is off. */
export function callAudit(call: object): CallAudit | undefined {
  return audits.get(call);
}

/**
 * Records the authorize step on the call's audit: who was authenticated (and the RequestReceived
 * stage), who the call acts as when impersonating, and the decision (`authorization.k8s.io/decision` allow|forbid and
 * `authorization.k8s.io/reason`, as kube-apiserver annotates). No-op when auditing is off.
 */
export function auditAuthorization(call: object, authenticated: UserInfo, actingAs: UserInfo, decision?: { allowed: boolean; reason: string }): void {
  const audit = audits.get(call);
  if (!audit) return;
  audit.authenticated = authenticated;
  audit.requestReceived(); // as kube-apiserver: after authentication, before impersonation and the decision
  if (actingAs !== authenticated) audit.request.setImpersonatedUser(actingAs);
  if (decision) {
    audit.request.annotate("authorization.k8s.io/decision", decision.allowed ? "allow" : "forbid");
    audit.request.annotate("authorization.k8s.io/reason", decision.reason);
  }
}

/**
 * The annotations record of the call's audit event, for admission's `auditAnnotations` (what a
 * plugin adds is in the event's `annotations`); a throwaway record when auditing is off.
 */
export function auditAnnotationsOf(call: object): Record<string, string> {
  return audits.get(call)?.request.annotations ?? {};
}
