// The request context the Registry's verbs take (Kubernetes' request context): who asks, dry run, and what
// admission hands back for the response (warnings) and the audit event (annotations).
import type { UserInfo } from "./authn/index.js";
import type { FieldManagerRef } from "./fieldmanager/index.js";

/** One request's context. Created once per request by its edge (the gRPC handler, the REST gateway); not shared between requests. */
export interface RequestContext {
  readonly user: UserInfo;
  readonly dryRun: boolean;
  /** Warnings for the client, in the order plugins added them (sent as `Warning: 299 - "…"`). */
  readonly warnings: string[];
  /** Audit annotations added by admission, `<plugin>/<key>` → value. */
  readonly auditAnnotations: Record<string, string>;
  /** Who the write's managedFields entry is for (the request's fieldManager, else its User-Agent's product); absent: the apiserver itself. */
  readonly fieldManager?: FieldManagerRef | undefined;
}

/**
 * The apiserver's own identity, for writes it makes itself (system namespaces, bootstrap policy) and
 * for callers that pass no context: a member of system:masters, as kube-apiserver's loopback client.
 */
export const SYSTEM_USER: UserInfo = { username: "system:apiserver", groups: ["system:masters", "system:authenticated"] };

/** A new context; `auditAnnotations` may be the request's audit event's own record, so what plugins add lands in the event. */
export function newRequestContext(user: UserInfo, dryRun = false, auditAnnotations: Record<string, string> = {}, fieldManager?: FieldManagerRef): RequestContext {
  return { user, dryRun, warnings: [], auditAnnotations, fieldManager };
}

/** The manager name Kubernetes defaults to: the User-Agent's product ("kubectl" from "kubectl/v1.32.0 (linux/amd64) …"), at most 128 characters. */
export function managerFromUserAgent(userAgent: string | undefined): string {
  return (userAgent ?? "").split("/")[0]!.trim().slice(0, 128);
}

/** What the Registry's verbs accept: a context, or (as before contexts) a dryRun flag for the apiserver's own writes. */
export type ContextArg = RequestContext | boolean | undefined;

export function toRequestContext(arg: ContextArg): RequestContext {
  return typeof arg === "object" ? arg : newRequestContext(SYSTEM_USER, arg === true);
}

/** A context for the same request with dryRun also set when `dryRun` is (a patch's or a delete's own dryRun flag). */
export function withDryRun(ctx: RequestContext, dryRun: boolean): RequestContext {
  return dryRun && !ctx.dryRun ? { ...ctx, dryRun: true } : ctx;
}

/** A warning as Kubernetes' `Warning` header value: code 299, agent "-", the text quoted. */
export function warningHeader(text: string): string {
  // Control characters would break the header line; Kubernetes replaces them too.
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, " ");
  return `299 - "${clean.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

