// The audit.k8s.io/v1 Event: one JSON line of the audit log, field names and order as kube-apiserver writes them.
import type { Level, Stage } from "./policy.js";

/** Kubernetes' authentication.k8s.io/v1 UserInfo as an event carries it ({} when the caller was not authenticated). */
export interface EventUser {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** What the request was about; empty fields are left out. */
export interface ObjectReference {
  resource?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiGroup?: string;
  apiVersion?: string;
  resourceVersion?: string;
  subresource?: string;
}

/** meta/v1 Status as an event records it: the code alone on success, reason and message on failure. */
export interface ResponseStatus {
  metadata: Record<string, never>;
  status?: "Success" | "Failure";
  message?: string;
  reason?: string;
  details?: unknown;
  code: number;
}

export interface AuditEvent {
  kind: "Event";
  apiVersion: "audit.k8s.io/v1";
  level: Level;
  auditID: string;
  stage: Stage;
  requestURI: string;
  verb: string;
  user: EventUser;
  impersonatedUser?: EventUser;
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: ObjectReference;
  responseStatus?: ResponseStatus;
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

/**
 * Now with microseconds, as metav1.MicroTime: `2026-12-06T16:30:00.123456Z`. The wall clock at
 * process start plus the monotonic clock since, so events of one process never go backwards.
 */
export function microTime(epochMicros: number = nowMicros()): string {
  const millis = Math.floor(epochMicros / 1000);
  const micros = Math.floor(epochMicros % 1000);
  const iso = new Date(millis).toISOString(); // 2026-12-06T16:30:00.123Z
  return `${iso.slice(0, 23)}${String(micros).padStart(3, "0")}Z`;
}

/** Microseconds since the epoch. */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}
