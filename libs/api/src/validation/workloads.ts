// apps/v1 workload validation: Deployment, ReplicaSet, DaemonSet, StatefulSet, and core/v1 ReplicationController.
import { duplicate, FieldPath, forbidden, invalid, notSupported, required, type FieldError } from "../field-errors.js";
import type { DaemonSet } from "../gen/kubeplane/apps/v1/daemon_set.js";
import type { Deployment } from "../gen/kubeplane/apps/v1/deployment.js";
import type { ReplicaSet } from "../gen/kubeplane/apps/v1/replica_set.js";
import type { StatefulSet } from "../gen/kubeplane/apps/v1/stateful_set.js";
import type { PodTemplateSpec } from "../gen/kubeplane/core/v1/pod.js";
import type { ReplicationController } from "../gen/kubeplane/core/v1/replication_controller.js";
import type { LabelSelector } from "../gen/kubeplane/meta/v1/meta.js";
import { labelSelectorFromObject, type LabelSelectorExpressionOperator } from "../label-selectors.js";
import { deepEqual, intOrPercentValue, isEmptySelector, validateEnum, validateImmutable, validateIntOrPercent, validateLabelMap, validateLabelSelector, validateNonnegative } from "./common.js";
import { dns1123LabelProblems } from "./names.js";
import { validatePodTemplateSpec } from "./pod.js";
import { validatePvcSpec } from "./storage.js";

const spec = FieldPath.root("spec");

/** True when `selector` selects the template's labels (a selector that cannot be parsed matches nothing). */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  try {
    const sel = labelSelectorFromObject({
      matchLabels: selector.matchLabels,
      matchExpressions: selector.matchExpressions.map((e) => ({ key: e.key, operator: e.operator as LabelSelectorExpressionOperator, values: e.values })),
    });
    return sel.matches(labels ?? {});
  } catch {
    return false;
  }
}

/** Selector required and non-empty, valid, and matching the template's labels; template valid with an allowed restartPolicy. */
export function validateSelectorAndTemplate(
  selector: LabelSelector | undefined,
  template: PodTemplateSpec | undefined,
  kindName: string,
  restartPolicies: readonly string[],
  path = spec,
  claimVolumes: ReadonlySet<string> = new Set(),
): FieldError[] {
  const errs: FieldError[] = [];
  if (!selector) errs.push(required(path.child("selector"), ""));
  else if (isEmptySelector(selector)) errs.push(invalid(path.child("selector"), selector, `empty selector is invalid for ${kindName}`));
  else errs.push(...validateLabelSelector(selector, path.child("selector")));
  errs.push(...validateTemplate(template, restartPolicies, path.child("template"), claimVolumes));
  if (selector && !isEmptySelector(selector) && template && !selectorMatches(selector, template.metadata?.labels)) {
    errs.push(invalid(path.child("template").child("metadata").child("labels"), template.metadata?.labels ?? {}, "selector does not match template labels"));
  }
  return errs;
}

/** A workload's pod template: valid, with a restartPolicy from `restartPolicies`; `claimVolumes` as validatePodSpec's. */
export function validateTemplate(template: PodTemplateSpec | undefined, restartPolicies: readonly string[], path: FieldPath, claimVolumes: ReadonlySet<string> = new Set()): FieldError[] {
  const errs = validatePodTemplateSpec(template, path, claimVolumes);
  const policy = template?.spec?.restartPolicy;
  if (policy && !restartPolicies.includes(policy)) errs.push(notSupported(path.child("spec").child("restartPolicy"), policy, restartPolicies));
  return errs;
}

/** A Deployment's spec. */
export function validateDeployment(d: Deployment): FieldError[] {
  const s = d.spec;
  if (!s) return [required(spec, "")];
  const errs = validateNonnegative(s.replicas, spec.child("replicas"));
  errs.push(...validateSelectorAndTemplate(s.selector, s.template, "deployment", ["Always"]));
  errs.push(...validateNonnegative(s.minReadySeconds, spec.child("minReadySeconds")));
  errs.push(...validateNonnegative(s.revisionHistoryLimit, spec.child("revisionHistoryLimit")));
  if (s.progressDeadlineSeconds !== undefined && s.progressDeadlineSeconds <= s.minReadySeconds) {
    errs.push(invalid(spec.child("progressDeadlineSeconds"), s.progressDeadlineSeconds, "must be greater than minReadySeconds"));
  }
  const strategy = s.strategy;
  if (strategy) {
    const sp = spec.child("strategy");
    errs.push(...validateEnum(strategy.type, ["Recreate", "RollingUpdate"], sp.child("type")));
    const ru = strategy.rollingUpdate;
    if (strategy.type === "Recreate" && ru) errs.push(forbidden(sp.child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"));
    if (strategy.type === "RollingUpdate" && ru) errs.push(...validateRollingUpdate(ru.maxUnavailable, ru.maxSurge, sp.child("rollingUpdate")));
  }
  return errs;
}

function validateRollingUpdate(maxUnavailable: string, maxSurge: string, path: FieldPath): FieldError[] {
  const errs = validateIntOrPercent(maxUnavailable, path.child("maxUnavailable"));
  errs.push(...validateIntOrPercent(maxSurge, path.child("maxSurge")));
  if (errs.length) return errs;
  if (maxUnavailable.endsWith("%") && Number(maxUnavailable.slice(0, -1)) > 100) {
    errs.push(invalid(path.child("maxUnavailable"), maxUnavailable, "must not be greater than 100%"));
  }
  if (intOrPercentValue(maxUnavailable, 100) === 0 && intOrPercentValue(maxSurge, 100) === 0) {
    errs.push(invalid(path.child("maxUnavailable"), maxUnavailable, "may not be 0 when `maxSurge` is 0"));
  }
  return errs;
}

/** A ReplicaSet's spec. */
export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  const s = rs.spec;
  if (!s) return [required(spec, "")];
  const errs = validateNonnegative(s.replicas, spec.child("replicas"));
  errs.push(...validateNonnegative(s.minReadySeconds, spec.child("minReadySeconds")));
  errs.push(...validateSelectorAndTemplate(s.selector, s.template, "deployment", ["Always"]));
  return errs;
}

/** A DaemonSet's spec. */
export function validateDaemonSet(ds: DaemonSet): FieldError[] {
  const s = ds.spec;
  if (!s) return [required(spec, "")];
  const errs = validateSelectorAndTemplate(s.selector, s.template, "daemonset", ["Always"]);
  errs.push(...validateNonnegative(s.minReadySeconds, spec.child("minReadySeconds")));
  errs.push(...validateNonnegative(s.revisionHistoryLimit, spec.child("revisionHistoryLimit")));
  const us = s.updateStrategy;
  if (us) {
    const up = spec.child("updateStrategy");
    errs.push(...validateEnum(us.type, ["RollingUpdate", "OnDelete"], up.child("type")));
    if (us.type === "RollingUpdate" && us.rollingUpdate) {
      errs.push(...validateRollingUpdate(us.rollingUpdate.maxUnavailable || "0", us.rollingUpdate.maxSurge || "0", up.child("rollingUpdate")));
    }
  }
  return errs;
}

/** A StatefulSet's spec. */
export function validateStatefulSet(sts: StatefulSet): FieldError[] {
  const s = sts.spec;
  if (!s) return [required(spec, "")];
  const errs = validateNonnegative(s.replicas, spec.child("replicas"));
  // The controller gives each pod a volume per claim template (`<claim>-<set>-<ordinal>`): mounts may name them.
  const claimVolumes = new Set(s.volumeClaimTemplates.map((c) => c.metadata?.name ?? "").filter((n) => n !== ""));
  errs.push(...validateSelectorAndTemplate(s.selector, s.template, "statefulset", ["Always"], spec, claimVolumes));
  errs.push(...validateNonnegative(s.minReadySeconds, spec.child("minReadySeconds")));
  errs.push(...validateNonnegative(s.revisionHistoryLimit, spec.child("revisionHistoryLimit")));
  errs.push(...validateEnum(s.podManagementPolicy, ["OrderedReady", "Parallel"], spec.child("podManagementPolicy")));
  const us = s.updateStrategy;
  if (us) {
    const up = spec.child("updateStrategy");
    errs.push(...validateEnum(us.type, ["RollingUpdate", "OnDelete"], up.child("type")));
    if (us.type === "OnDelete" && us.rollingUpdate) errs.push(invalid(up.child("rollingUpdate"), us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
    errs.push(...validateNonnegative(us.rollingUpdate?.partition, up.child("rollingUpdate").child("partition")));
  }
  const rp = s.persistentVolumeClaimRetentionPolicy;
  if (rp) {
    const pp = spec.child("persistentVolumeClaimRetentionPolicy");
    errs.push(...validateEnum(rp.whenDeleted, ["Retain", "Delete"], pp.child("whenDeleted")));
    errs.push(...validateEnum(rp.whenScaled, ["Retain", "Delete"], pp.child("whenScaled")));
  }
  errs.push(...validateNonnegative(s.ordinals?.start, spec.child("ordinals").child("start")));
  errs.push(...validateClaimTemplates(s.volumeClaimTemplates, spec.child("volumeClaimTemplates")));
  return errs;
}

/** volumeClaimTemplates: each named (a DNS label, unique: it is the pods' volume name) with a valid claim spec. */
function validateClaimTemplates(templates: NonNullable<StatefulSet["spec"]>["volumeClaimTemplates"], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  templates.forEach((pvc, i) => {
    const p = path.index(i);
    const name = pvc.metadata?.name ?? "";
    if (name === "") errs.push(required(p.child("metadata").child("name"), ""));
    else for (const problem of dns1123LabelProblems(name)) errs.push(invalid(p.child("metadata").child("name"), name, problem));
    if (name !== "" && seen.has(name)) errs.push(duplicate(p.child("metadata").child("name"), name));
    seen.add(name);
    errs.push(...validatePvcSpec(pvc.spec, p.child("spec")));
  });
  return errs;
}

/** A ReplicationController's spec: the selector is a plain map and must be non-empty and match the template. */
export function validateReplicationController(rc: ReplicationController): FieldError[] {
  const s = rc.spec;
  if (!s) return [required(spec, "")];
  const errs = validateNonnegative(s.replicas, spec.child("replicas"));
  errs.push(...validateNonnegative(s.minReadySeconds, spec.child("minReadySeconds")));
  if (Object.keys(s.selector).length === 0) errs.push(required(spec.child("selector"), ""));
  else errs.push(...validateLabelMap(s.selector, spec.child("selector")));
  errs.push(...validateTemplate(s.template, ["Always"], spec.child("template")));
  const labels = s.template?.metadata?.labels ?? {};
  if (s.template && Object.keys(s.selector).length > 0 && !Object.entries(s.selector).every(([k, v]) => labels[k] === v)) {
    errs.push(invalid(spec.child("template").child("metadata").child("labels"), labels, "`selector` does not match template `labels`"));
  }
  return errs;
}

/** Update rules of apps/v1 workloads: the selector is immutable; a StatefulSet's spec only changes in its mutable fields. */
export function validateWorkloadUpdate(kind: string, now: { spec?: { selector?: LabelSelector } }, old: { spec?: { selector?: LabelSelector } }): FieldError[] {
  const errs = validateImmutable(now.spec?.selector, old.spec?.selector, spec.child("selector"));
  if (kind === "StatefulSet") {
    const strip = (s: StatefulSet["spec"]) => {
      if (!s) return s;
      const { replicas: _r, template: _t, updateStrategy: _u, persistentVolumeClaimRetentionPolicy: _p, minReadySeconds: _m, ordinals: _o, revisionHistoryLimit: _h, selector: _s, ...rest } = s;
      return rest;
    };
    if (!deepEqual(strip((now as StatefulSet).spec), strip((old as StatefulSet).spec))) {
      errs.push(
        forbidden(
          spec,
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
  }
  return errs;
}
