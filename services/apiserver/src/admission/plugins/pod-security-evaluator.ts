// Evaluates a pod against a Pod Security Standards level and version (Kubernetes' policy.Evaluator and aggregate results).
import type { coreV1Pod, metaV1 } from "@kubeplane/api";
import { BASELINE_CHECKS } from "./pod-security-checks-baseline.js";
import { RESTRICTED_CHECKS } from "./pod-security-checks-restricted.js";
import type { Check, CheckPodFn, VersionedCheck } from "./pod-security-check-helpers.js";
import { MAX_POLICY_VERSION, olderThan, versionString, type LevelVersion, type Version } from "./pod-security-levels.js";

/** The forbidden checks' reasons and details, in Kubernetes' order (baseline IDs sorted, then restricted IDs sorted). */
export interface AggregateResult {
  readonly allowed: boolean;
  readonly reasons: readonly string[];
  readonly details: readonly string[];
}

/** `privileged (container "c" must not …), allowPrivilegeEscalation != false (…)`, as Kubernetes' ForbiddenDetail. */
export function forbiddenDetail(result: AggregateResult): string {
  return result.reasons.map((reason, i) => (result.details[i] ? `${reason} (${result.details[i]})` : reason)).join(", ");
}

/** The version of `check` in force at `version`, if any. */
function versionAt(check: Check, version: Version): VersionedCheck | undefined {
  let found: VersionedCheck | undefined;
  for (const vc of check.versions) if (!olderThan(version, vc.minimumVersion)) found = vc;
  return found;
}

const ORDERED: readonly Check[] = [
  ...[...BASELINE_CHECKS].sort((a, b) => (a.id < b.id ? -1 : 1)),
  ...[...RESTRICTED_CHECKS].sort((a, b) => (a.id < b.id ? -1 : 1)),
];

const cache = new Map<string, readonly CheckPodFn[]>();

/** The checks a level runs at a version: baseline's, or restricted's plus the baseline ones no restricted control replaces. */
function checksFor(level: "baseline" | "restricted", version: Version): readonly CheckPodFn[] {
  const effective = olderThan(MAX_POLICY_VERSION, version) ? MAX_POLICY_VERSION : version;
  const key = `${level}:${versionString(effective)}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const active = ORDERED.flatMap((check) => {
    if (level === "baseline" && check.level !== "baseline") return [];
    const vc = versionAt(check, effective);
    return vc ? [{ check, vc }] : [];
  });
  const overridden = new Set(active.flatMap(({ vc }) => vc.overrides ?? []));
  const fns = active.filter(({ check }) => !overridden.has(check.id)).map(({ vc }) => vc.check);
  cache.set(key, fns);
  return fns;
}

/** Runs every check of `lv` on a pod (or pod template); privileged allows everything. Pure. */
export function evaluatePod(lv: LevelVersion, meta: metaV1.ObjectMeta | undefined, spec: coreV1Pod.PodSpec): AggregateResult {
  if (lv.level === "privileged") return { allowed: true, reasons: [], details: [] };
  const reasons: string[] = [];
  const details: string[] = [];
  for (const check of checksFor(lv.level, lv.version)) {
    const result = check(meta, spec);
    if (result.allowed) continue;
    reasons.push(result.reason || "unknown forbidden reason");
    details.push(result.detail);
  }
  return { allowed: reasons.length === 0, reasons, details };
}
