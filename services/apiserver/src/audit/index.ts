// Auditing (audit.k8s.io/v1): the policy, the Auditor that REST and gRPC serving call, the log backend, the gRPC wrapper.
import type { Registry as MetricsRegistry } from "prom-client";
import { ServiceStartError, type Logger } from "@kubeplane/service-kit";
import { Auditor } from "./auditor.js";
import { LogBackend } from "./log-backend.js";
import { createAuditMetrics } from "./metrics.js";
import { AuditPolicyError, PolicyChecker, loadPolicyFile, type Policy } from "./policy.js";

export { Auditor, AuditRequest, isSensitive, type AuditRequestStart, type AuditResponse, type BodyOf } from "./auditor.js";
export { auditCalls, grpcRequestUri, peerAddress } from "./grpc-calls.js";
export { auditAnnotationsOf, auditAuthorization, callAudit } from "./call-context.js";
export type { AuditEvent } from "./event.js";
export { LogBackend, type AuditBackend } from "./log-backend.js";
export { AuditPolicyError, PolicyChecker, loadPolicyFile, parsePolicy, validatePolicy, type Level, type Policy, type Stage } from "./policy.js";

/** The audit flags, as kube-apiserver names them (`--audit-policy-file`, `--audit-log-*`). */
export interface AuditConfig {
  auditPolicyFile: string | undefined;
  auditLogPath: string | undefined;
  auditLogMaxsize: number;
  auditLogMaxbackup: number;
  auditLogMaxage: number;
}

/**
 * The Auditor the flags ask for, or undefined when auditing is off (no policy file, or no log
 * path: kube-apiserver audits only with both). Reads and validates the policy now, so a bad file
 * stops the start (ServiceStartError, the message naming each rule and field).
 */
export function startAuditing(config: AuditConfig, metricsRegistry: MetricsRegistry, logger: Logger): Auditor | undefined {
  if (!config.auditPolicyFile || !config.auditLogPath) {
    if (config.auditPolicyFile || config.auditLogPath) logger.warn("auditing is off: it needs both --audit-policy-file and --audit-log-path");
    return undefined;
  }
  let policy: Policy;
  try {
    policy = loadPolicyFile(config.auditPolicyFile);
  } catch (err) {
    if (err instanceof AuditPolicyError) throw new ServiceStartError(err.message, { cause: err });
    throw err;
  }
  const metrics = createAuditMetrics(metricsRegistry);
  const backend = new LogBackend({
    path: config.auditLogPath,
    maxSizeMb: config.auditLogMaxsize,
    maxBackups: config.auditLogMaxbackup,
    maxAgeDays: config.auditLogMaxage,
    metrics,
    logger,
  });
  logger.info({ policy: config.auditPolicyFile, path: config.auditLogPath, rules: policy.rules.length }, "audit log on");
  return new Auditor(new PolicyChecker(policy), backend, metrics);
}
