// Pod and PodTemplateSpec validation (ValidatePodSpec) and Kubernetes' pod update rules.
import { FieldPath, forbidden, invalid, required, type FieldError } from "../field-errors.js";
import type { Pod, PodSpec, PodTemplateSpec } from "../gen/kubeplane/core/v1/pod.js";
import { deepEqual, validateEnum, validateIp, validateLabelMap, validateNonnegative, validateResourceList } from "./common.js";
import { validateContainers } from "./container.js";
import { dns1123LabelProblems, dns1123SubdomainProblems } from "./names.js";
import { validateAnnotations, validateLabels } from "./object-meta.js";
import { validateAffinity, validateTolerations, validateTopologySpreadConstraints } from "./pod-scheduling.js";
import { validateVolumes } from "./volume.js";

export const RESTART_POLICIES = ["Always", "OnFailure", "Never"] as const;
const DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"] as const;

/**
 * ValidatePodSpec: containers, volumes, policies, scheduling constraints. `claimVolumes` names
 * volumes a controller adds to the pods it makes (a StatefulSet's volumeClaimTemplates), which
 * volumeMounts may therefore reference.
 */
export function validatePodSpec(spec: PodSpec | undefined, path: FieldPath, claimVolumes: ReadonlySet<string> = new Set()): FieldError[] {
  if (!spec) return [required(path, "")];
  const vol = validateVolumes(spec.volumes, path.child("volumes"));
  for (const name of claimVolumes) vol.names.add(name);
  const errs = [...vol.errs];
  const names = new Set<string>();
  errs.push(...validateContainers(spec.initContainers, vol.names, names, path.child("initContainers"), true));
  if (spec.containers.length === 0) errs.push(required(path.child("containers"), ""));
  errs.push(...validateContainers(spec.containers, vol.names, names, path.child("containers"), false));
  errs.push(...validateEnum(spec.restartPolicy, RESTART_POLICIES, path.child("restartPolicy")));
  errs.push(...validateEnum(spec.dnsPolicy, DNS_POLICIES, path.child("dnsPolicy")));
  errs.push(...validateDnsConfig(spec, path.child("dnsConfig")));
  errs.push(...validateLabelMap(spec.nodeSelector, path.child("nodeSelector")));
  errs.push(...validateNonnegative(spec.terminationGracePeriodSeconds, path.child("terminationGracePeriodSeconds")));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds <= 0) {
    errs.push(invalid(path.child("activeDeadlineSeconds"), spec.activeDeadlineSeconds, "must be between 1 and 2147483647, inclusive"));
  }
  if (spec.priority !== undefined && spec.priorityClassName === "" && spec.priority < 0) {
    errs.push(invalid(path.child("priority"), spec.priority, "must be greater than or equal to 0"));
  }
  for (const f of ["serviceAccountName", "nodeName", "priorityClassName"] as const) {
    if (spec[f] !== "") for (const problem of dns1123SubdomainProblems(spec[f])) errs.push(invalid(path.child(f), spec[f], problem));
  }
  for (const f of ["hostname", "subdomain"] as const) {
    if (spec[f] !== "") for (const problem of dns1123LabelProblems(spec[f])) errs.push(invalid(path.child(f), spec[f], problem));
  }
  errs.push(...validateEnum(spec.preemptionPolicy, ["PreemptLowerPriority", "Never"], path.child("preemptionPolicy"), false));
  errs.push(...validateTolerations(spec.tolerations, path.child("tolerations")));
  errs.push(...validateAffinity(spec.affinity, path.child("affinity")));
  errs.push(...validateTopologySpreadConstraints(spec.topologySpreadConstraints, path.child("topologySpreadConstraints")));
  errs.push(...validateResourceList(spec.overhead, path.child("overhead")));
  spec.hostAliases.forEach((a, i) => errs.push(...validateIp(a.ip, path.child("hostAliases").index(i).child("ip"))));
  if (spec.os && spec.os.name !== "linux" && spec.os.name !== "windows") {
    errs.push({ type: "FieldValueNotSupported", field: String(path.child("os").child("name")), value: spec.os.name, detail: 'supported values: "linux", "windows"' });
  }
  return errs;
}

/** The resolver's limits the kubelet can honour (glibc: 3 nameservers; 32 search paths, 2048 characters). */
const MAX_DNS_NAMESERVERS = 3;
const MAX_DNS_SEARCH_PATHS = 32;
const MAX_DNS_SEARCH_CHARS = 2048;

/** validateDNSConfig: dnsPolicy None needs a nameserver; nameservers are IPs, searches DNS subdomains, options named. */
function validateDnsConfig(spec: PodSpec, path: FieldPath): FieldError[] {
  const config = spec.dnsConfig;
  if (spec.dnsPolicy === "None" && (!config || config.nameservers.length === 0)) {
    return [required(path.child("nameservers"), "must provide at least one DNS nameserver when DNS policy is None")];
  }
  if (!config) return [];
  const errs: FieldError[] = [];
  if (config.nameservers.length > MAX_DNS_NAMESERVERS) {
    errs.push(invalid(path.child("nameservers"), config.nameservers, `must not have more than ${MAX_DNS_NAMESERVERS} nameservers`));
  }
  config.nameservers.forEach((ns, i) => errs.push(...validateIp(ns, path.child("nameservers").index(i))));
  if (config.searches.length > MAX_DNS_SEARCH_PATHS) {
    errs.push(invalid(path.child("searches"), config.searches, `must not have more than ${MAX_DNS_SEARCH_PATHS} search paths`));
  }
  if (config.searches.join(" ").length > MAX_DNS_SEARCH_CHARS) {
    errs.push(invalid(path.child("searches"), config.searches, `must not have more than ${MAX_DNS_SEARCH_CHARS} characters (including spaces) in the search list`));
  }
  config.searches.forEach((search, i) => {
    // A trailing dot (an absolute name) is fine.
    const name = search.endsWith(".") ? search.slice(0, -1) : search;
    for (const problem of dns1123SubdomainProblems(name)) errs.push(invalid(path.child("searches").index(i), search, problem));
  });
  config.options.forEach((option, i) => {
    if (!option.name) errs.push(required(path.child("options").index(i), "Option.Name must not be empty"));
  });
  return errs;
}

/** A pod template: labels and annotations valid, spec valid (ValidatePodTemplateSpec); `claimVolumes` as validatePodSpec's. */
export function validatePodTemplateSpec(template: PodTemplateSpec | undefined, path: FieldPath, claimVolumes: ReadonlySet<string> = new Set()): FieldError[] {
  if (!template) return [required(path, "")];
  const errs: FieldError[] = [];
  errs.push(...validateLabels(template.metadata?.labels, path.child("metadata").child("labels")));
  errs.push(...validateAnnotations(template.metadata?.annotations, path.child("metadata").child("annotations")));
  errs.push(...validatePodSpec(template.spec, path.child("spec"), claimVolumes));
  return errs;
}

/** A Pod on create. */
export function validatePod(pod: Pod): FieldError[] {
  return validatePodSpec(pod.spec, FieldPath.root("spec"));
}

const POD_UPDATE_DETAIL =
  "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/** ValidatePodUpdate: only images, activeDeadlineSeconds, added tolerations and a negative grace period may change. */
export function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const spec = FieldPath.root("spec");
  const now = pod.spec;
  const was = old.spec;
  if (!now || !was) return [];
  const errs = validatePodSpec(now, spec);
  if (was.activeDeadlineSeconds !== undefined && (now.activeDeadlineSeconds === undefined || now.activeDeadlineSeconds > was.activeDeadlineSeconds)) {
    errs.push(invalid(spec.child("activeDeadlineSeconds"), now.activeDeadlineSeconds, "must be less than or equal to previous value"));
  }
  for (const t of was.tolerations) {
    if (!now.tolerations.some((n) => deepEqual(n, t) || (n.key === t.key && n.operator === t.operator && n.value === t.value && n.effect === t.effect && t.effect === "NoExecute" && n.tolerationSeconds !== undefined && t.tolerationSeconds !== undefined && n.tolerationSeconds <= t.tolerationSeconds))) {
      errs.push(forbidden(spec.child("tolerations"), "existing toleration can not be modified except its tolerationSeconds"));
      break;
    }
  }
  // Compare with the mutable fields copied from the old spec, as Kubernetes does.
  const mutable = (s: PodSpec, from: PodSpec): PodSpec => ({
    ...s,
    containers: s.containers.map((c, i) => ({ ...c, image: from.containers[i]?.image ?? c.image })),
    initContainers: s.initContainers.map((c, i) => ({ ...c, image: from.initContainers[i]?.image ?? c.image })),
    activeDeadlineSeconds: from.activeDeadlineSeconds,
    tolerations: from.tolerations,
    terminationGracePeriodSeconds:
      (from.terminationGracePeriodSeconds ?? 0) < 0 && s.terminationGracePeriodSeconds === 1 ? from.terminationGracePeriodSeconds : s.terminationGracePeriodSeconds,
  });
  if (!deepEqual(mutable(now, was), was)) errs.push(forbidden(spec, POD_UPDATE_DETAIL));
  return errs;
}
