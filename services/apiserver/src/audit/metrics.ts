// The audit log's Prometheus metrics, named as kube-apiserver's so its alerts apply.
import { Counter, type Registry } from "prom-client";

export interface AuditMetrics {
  /** Events generated and handed to the backend (apiserver_audit_event_total). */
  events: Counter;
  /** Events that could not be written: buffer full, or a write failed (apiserver_audit_error_total{plugin}). */
  errors: Counter<"plugin">;
  /** Policy levels decided, one per request (apiserver_audit_level_total{level}). */
  levels: Counter<"level">;
}

export function createAuditMetrics(registry: Registry): AuditMetrics {
  return {
    events: new Counter({
      name: "apiserver_audit_event_total",
      help: "Counter of audit events generated and sent to the audit backend.",
      registers: [registry],
    }),
    errors: new Counter({
      name: "apiserver_audit_error_total",
      help: "Counter of audit events that failed to be audited properly. Plugin identifies the plugin affected by the error.",
      labelNames: ["plugin"],
      registers: [registry],
    }),
    levels: new Counter({
      name: "apiserver_audit_level_total",
      help: "Counter of policy levels for audit events (1 per request).",
      labelNames: ["level"],
      registers: [registry],
    }),
  };
}
