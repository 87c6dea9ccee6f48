// The Auditor: one AuditRequest per API request, which turns the policy's level into the events the backend writes.
import { randomUUID } from "node:crypto";
import type { UserInfo } from "../authn/index.js";
import type { RequestAttributes } from "../authz/attributes.js";
import { microTime, nowMicros, type AuditEvent, type EventUser, type ObjectReference, type ResponseStatus } from "./event.js";
import type { AuditBackend } from "./log-backend.js";
import type { AuditMetrics } from "./metrics.js";
import { levelLess, type Level, type PolicyChecker, type PolicyDecision, type Stage } from "./policy.js";

/** What is known of a request when it arrives. */
export interface AuditRequestStart {
  /** The request's URI: the REST path and query, or for gRPC the method and the resource path (docs/security.md). */
  requestURI: string;
  /** The client's address(es), nearest last as Kubernetes' X-Forwarded-For order. */
  sourceIPs: string[];
  userAgent?: string;
}

/** How a request ended: Kubernetes' HTTP-style code, and reason and message for a failure. */
export interface AuditResponse {
  code: number;
  reason?: string;
  message?: string;
  details?: unknown;
}

/** A lazily built body (Kubernetes JSON); called only when the level records it. */
export type BodyOf = () => unknown;

/**
 * Bodies of these are never logged, whatever the policy: Secrets (values), TokenRequests and
 * TokenReviews (bearer tokens). Their events stop at Metadata.
 */
export function isSensitive(a: RequestAttributes): boolean {
  if (!a.resourceRequest) return false;
  if (a.apiGroup === "" && a.resource === "secrets") return true;
  if (a.apiGroup === "" && a.resource === "serviceaccounts" && a.subresource === "token") return true;
  return a.apiGroup === "authentication.k8s.io" && a.resource === "tokenreviews";
}

function eventUser(user: UserInfo | undefined): EventUser {
  if (!user?.username) return {};
  const out: EventUser = { username: user.username };
  if (user.uid) out.uid = user.uid;
  if (user.groups.length) out.groups = [...user.groups];
  if (user.extra && Object.keys(user.extra).length) out.extra = user.extra;
  return out;
}

function withoutManagedFields(body: unknown): unknown {
  if (!body || typeof body !== "object") return body;
  const o = body as { metadata?: Record<string, unknown>; items?: unknown[] };
  let out: Record<string, unknown> = o as Record<string, unknown>;
  if (o.metadata && "managedFields" in o.metadata) {
    const { managedFields: _, ...metadata } = o.metadata;
    out = { ...out, metadata };
  }
  if (Array.isArray(o.items)) out = { ...out, items: o.items.map(withoutManagedFields) };
  return out;
}

/**
 * Audits requests with a policy and a backend. Thread-free and synchronous: `begin` and the
 * request's methods only build events and hand them to the backend, which never blocks.
 */
export class Auditor {
  constructor(
    private readonly checker: PolicyChecker,
    private readonly backend: AuditBackend,
    private readonly metrics: AuditMetrics,
  ) {}

  /** Starts auditing one request; call it when the request arrives, before authentication. */
  begin(start: AuditRequestStart): AuditRequest {
    return new AuditRequest(start, this.checker, (event) => this.backend.processEvents([event]), this.metrics);
  }

  /** Writes every event accepted so far and releases the backend (the apiserver's SIGTERM path). */
  shutdown(): Promise<void> {
    return this.backend.shutdown();
  }
}

/**
 * The audit of one request, for whoever serves it (the gRPC wrapper, the REST gateway). Contract:
 * `setAttributes` (the authorization attributes of the authenticated user, before impersonation:
 * the policy matches on them) before `requestReceived`/`responseStarted`/`complete`/`panic`;
 * without it the request is audited as unauthenticated. `complete` or `panic` ends it: later calls do nothing. The level
 * is decided once, at the first event, and capped at Metadata for Secrets and tokens.
 * Not safe for concurrent use by two requests (there is one per request).
 */
export class AuditRequest {
  readonly auditID = randomUUID();
  /** Annotations for every event of this request (authorization's decision, admission's auditAnnotations). */
  readonly annotations: Record<string, string> = {};
  private readonly received = nowMicros();
  private attrs: RequestAttributes | undefined;
  private impersonated: UserInfo | undefined;
  private objectRefExtra: Partial<ObjectReference> = {};
  private requestBody: BodyOf | undefined;
  private decision: PolicyDecision | undefined;
  private receivedSent = false;
  private started = false;
  private done = false;

  constructor(
    private readonly start: AuditRequestStart,
    private readonly checker: PolicyChecker,
    private readonly emit: (event: AuditEvent) => void,
    private readonly metrics: AuditMetrics,
  ) {}

  setAttributes(attrs: RequestAttributes): void {
    this.attrs = attrs;
  }

  /** The user the request acts as after impersonation, when it differs from the authenticated one. */
  setImpersonatedUser(user: UserInfo): void {
    this.impersonated = user;
  }

  annotate(key: string, value: string): void {
    this.annotations[key] = value;
  }

  /** Fills what the attributes do not know: the apiVersion, a created object's name, uid, resourceVersion. */
  setObjectRef(extra: Partial<ObjectReference>): void {
    this.objectRefExtra = { ...this.objectRefExtra, ...extra };
  }

  /** The request's body, read only if the level is Request or more. */
  setRequestObject(body: BodyOf): void {
    this.requestBody = body;
  }

  /** The level this request is audited at (decided on first use). */
  level(): Level {
    return this.decide().level;
  }

  /**
   * The request is authenticated and about to be authorized: the RequestReceived event (no
   * response, no bodies; most policies omit this stage). Once, before any other stage.
   */
  requestReceived(): void {
    if (this.receivedSent || this.started || this.done) return;
    this.receivedSent = true;
    this.send("RequestReceived", undefined);
  }

  /** A long-running request (watch, logs) began sending its response: the ResponseStarted event. */
  responseStarted(code = 200): void {
    if (this.started || this.done) return;
    this.started = true;
    this.send("ResponseStarted", { code });
  }

  complete(response: AuditResponse, responseBody?: BodyOf): void {
    if (this.done) return;
    this.done = true;
    this.send("ResponseComplete", response, responseBody);
  }

  /** The handler crashed: the Panic event (code 500). */
  panic(err: unknown): void {
    if (this.done) return;
    this.done = true;
    this.send("Panic", { code: 500, reason: "InternalError", message: `APIServer panic'd: ${err instanceof Error ? err.message : String(err)}` });
  }

  private decide(): PolicyDecision {
    if (this.decision) return this.decision;
    const attrs = this.attrs;
    let decision: PolicyDecision = attrs ? this.checker.decide(attrs) : this.checker.decide(unauthenticated);
    if (attrs && isSensitive(attrs) && levelLess("Metadata", decision.level)) decision = { ...decision, level: "Metadata" };
    this.metrics.levels.inc({ level: decision.level });
    this.decision = decision;
    return decision;
  }

  private send(stage: Stage, response: AuditResponse | undefined, responseBody?: BodyOf): void {
    const { level, omitStages, omitManagedFields } = this.decide();
    if (level === "None" || omitStages.has(stage)) return;
    const a = this.attrs;
    const event: AuditEvent = {
      kind: "Event",
      apiVersion: "audit.k8s.io/v1",
      level,
      auditID: this.auditID,
      stage,
      requestURI: this.start.requestURI,
      verb: a?.verb ?? "",
      user: eventUser(a?.user),
      ...(this.impersonated ? { impersonatedUser: eventUser(this.impersonated) } : {}),
      sourceIPs: this.start.sourceIPs,
      ...(this.start.userAgent ? { userAgent: this.start.userAgent } : {}),
      ...(a?.resourceRequest ? { objectRef: this.objectRef(a) } : {}),
      ...(response ? { responseStatus: responseStatus(response) } : {}),
      requestReceivedTimestamp: microTime(this.received),
      stageTimestamp: microTime(),
    };
    if (!levelLess(level, "Request") && this.requestBody && stage !== "RequestReceived") {
      const body = safely(this.requestBody);
      if (body !== undefined) event.requestObject = omitManagedFields ? withoutManagedFields(body) : body;
    }
    if (level === "RequestResponse" && responseBody && stage === "ResponseComplete") {
      const body = safely(responseBody);
      if (body !== undefined) event.responseObject = omitManagedFields ? withoutManagedFields(body) : body;
    }
    if (Object.keys(this.annotations).length) event.annotations = { ...this.annotations };
    this.emit(event);
  }

  private objectRef(a: RequestAttributes): ObjectReference {
    const ref: ObjectReference = {};
    const set = (k: keyof ObjectReference, v: string | undefined): void => {
      if (v) ref[k] = v;
    };
    set("resource", a.resource);
    set("namespace", a.namespace || this.objectRefExtra.namespace);
    set("name", a.name || this.objectRefExtra.name);
    set("uid", this.objectRefExtra.uid);
    set("apiGroup", a.apiGroup);
    set("apiVersion", this.objectRefExtra.apiVersion);
    set("resourceVersion", this.objectRefExtra.resourceVersion);
    set("subresource", a.subresource);
    return ref;
  }
}

const unauthenticated: RequestAttributes = {
  user: { username: "", groups: [] },
  verb: "",
  resourceRequest: false,
  apiGroup: "",
  resource: "",
  subresource: "",
  namespace: "",
  name: "",
  path: "",
};

function responseStatus(r: AuditResponse): ResponseStatus {
  if (r.code < 400) return { metadata: {}, code: r.code };
  return {
    metadata: {},
    status: "Failure",
    ...(r.message ? { message: r.message } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.details ? { details: r.details } : {}),
    code: r.code,
  };
}

/** A body that cannot be rendered is left out rather than failing the request's audit. */
function safely(body: BodyOf): unknown {
  try {
    return body();
  } catch {
    return undefined;
  }
}
