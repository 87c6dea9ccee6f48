// Pod Security Standards levels and versions, and a namespace's policy from its pod-security.kubernetes.io labels.
import type { FieldError } from "@kubeplane/api";

export type Level = "privileged" | "baseline" | "restricted";
const LEVELS: readonly Level[] = ["privileged", "baseline", "restricted"];

/** The newest policy version this apiserver knows; "latest" and newer versions evaluate as this one. */
export const MAX_POLICY_VERSION: Version = { major: 1, minor: 35 };

/** A policy version: "latest" or v1.x. */
export type Version = { readonly latest: true } | { readonly latest?: false; readonly major: number; readonly minor: number };
export const LATEST: Version = { latest: true };

export const LABEL_PREFIX = "pod-security.kubernetes.io/";
export const ENFORCE_LEVEL_LABEL = `${LABEL_PREFIX}enforce`;
export const ENFORCE_VERSION_LABEL = `${LABEL_PREFIX}enforce-version`;
export const AUDIT_LEVEL_LABEL = `${LABEL_PREFIX}audit`;
export const AUDIT_VERSION_LABEL = `${LABEL_PREFIX}audit-version`;
export const WARN_LEVEL_LABEL = `${LABEL_PREFIX}warn`;
export const WARN_VERSION_LABEL = `${LABEL_PREFIX}warn-version`;

export function versionString(v: Version): string {
  return v.latest ? "latest" : `v${v.major}.${v.minor}`;
}

/** Whether `a` is older than `b` ("latest" is newer than every version). */
export function olderThan(a: Version, b: Version): boolean {
  if (a.latest) return false;
  if (b.latest) return true;
  return a.major !== b.major ? a.major < b.major : a.minor < b.minor;
}

/** A level at a version, printed as Kubernetes does: `restricted:latest`. */
export interface LevelVersion {
  readonly level: Level;
  readonly version: Version;
}

export function levelVersionString(lv: LevelVersion): string {
  return `${lv.level}:${versionString(lv.version)}`;
}

/** What a namespace enforces, audits and warns about. */
export interface Policy {
  readonly enforce: LevelVersion;
  readonly audit: LevelVersion;
  readonly warn: LevelVersion;
}

/** Kubernetes' ParseLevel: one of the three levels, else an error (and restricted). */
export function parseLevel(text: string): Level | undefined {
  return (LEVELS as readonly string[]).includes(text) ? (text as Level) : undefined;
}

const VERSION_RE = /^v1\.(0|[1-9][0-9]*)$/;

/** Kubernetes' ParseVersion: "latest" or "v1.x", else undefined. */
export function parseVersion(text: string): Version | undefined {
  if (text === "latest") return LATEST;
  const m = VERSION_RE.exec(text);
  if (!m) return undefined;
  const minor = Number(m[1]);
  return Number.isSafeInteger(minor) ? { major: 1, minor } : undefined;
}

/** -1, 0 or 1 as `a` is less strict, as strict or stricter than `b`. */
export function compareLevels(a: Level, b: Level): -1 | 0 | 1 {
  const d = LEVELS.indexOf(a) - LEVELS.indexOf(b);
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

const LEVEL_PROBLEM = `must be one of ${LEVELS.join(", ")}`;
const VERSION_PROBLEM = 'must be "latest" or "v1.x"';

function labelError(label: string, value: string, problem: string): FieldError {
  return { type: "FieldValueInvalid", field: `metadata.labels[${label}]`, value, detail: problem };
}

/**
 * Kubernetes' PolicyToEvaluate: the namespace's labels over the cluster defaults. Always returns a usable
 * policy: an unparseable enforce level enforces restricted; an unparseable audit or warn level is privileged
 * (fails open); an unparseable version is latest. An explicit enforce level stricter than the default warn
 * level also becomes the warn level (with its version, unless warn-version is set). Errors are label field
 * errors, for refusing a Namespace write.
 */
export function policyToEvaluate(labels: Readonly<Record<string, string>>, defaults: Policy): { policy: Policy; errors: FieldError[] } {
  const errors: FieldError[] = [];
  let { enforce, audit, warn } = defaults;
  const level = (label: string, onError: Level): Level | undefined => {
    const text = labels[label];
    if (text === undefined) return undefined;
    const parsed = parseLevel(text);
    if (!parsed) errors.push(labelError(label, text, LEVEL_PROBLEM));
    return parsed ?? onError;
  };
  const version = (label: string): Version | undefined => {
    const text = labels[label];
    if (text === undefined) return undefined;
    const parsed = parseVersion(text);
    if (!parsed) errors.push(labelError(label, text, VERSION_PROBLEM));
    return parsed ?? LATEST;
  };
  const enforceText = labels[ENFORCE_LEVEL_LABEL];
  const enforceLevel = level(ENFORCE_LEVEL_LABEL, "restricted");
  if (enforceLevel) enforce = { ...enforce, level: enforceLevel };
  const enforceVersion = version(ENFORCE_VERSION_LABEL);
  if (enforceVersion) enforce = { ...enforce, version: enforceVersion };
  const auditLevel = level(AUDIT_LEVEL_LABEL, "privileged");
  if (auditLevel) audit = { ...audit, level: auditLevel };
  const auditVersion = version(AUDIT_VERSION_LABEL);
  if (auditVersion) audit = { ...audit, version: auditVersion };
  const warnLevel = level(WARN_LEVEL_LABEL, "privileged");
  if (warnLevel) warn = { ...warn, level: warnLevel };
  const warnVersion = version(WARN_VERSION_LABEL);
  if (warnVersion) warn = { ...warn, version: warnVersion };
  const hasValidEnforceLevel = enforceText !== undefined && parseLevel(enforceText) !== undefined;
  if (warnLevel === undefined && hasValidEnforceLevel && compareLevels(enforce.level, warn.level) > 0) {
    warn = { level: enforce.level, version: warnVersion ?? enforce.version };
  }
  return { policy: { enforce, audit, warn }, errors };
}

/** The cluster's default policy: privileged at latest for all three modes unless configured. */
export const PRIVILEGED_POLICY: Policy = Object.freeze<Policy>({
  enforce: { level: "privileged", version: LATEST },
  audit: { level: "privileged", version: LATEST },
  warn: { level: "privileged", version: LATEST },
});
