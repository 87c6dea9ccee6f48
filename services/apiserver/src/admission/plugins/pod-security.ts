// The PodSecurity admission plugin (Kubernetes' PodSecurity): Pod Security Standards from namespace labels, enforced on
// pods, warned and audited on pods and workload templates; the labels themselves validated on Namespace writes.
import { apiErrors, kindFor, type ApiObject, type coreV1Config, type coreV1Pod, type KindInfo, type metaV1 } from "@kubeplane/api";
import type { AdmissionAttributes, AdmissionStore, ValidatingAdmissionPlugin } from "../interfaces.js";
import type { ObjectCache } from "./object-cache.js";
import { evaluatePod, forbiddenDetail, type AggregateResult } from "./pod-security-evaluator.js";
import {
  AUDIT_LEVEL_LABEL,
  AUDIT_VERSION_LABEL,
  compareLevels,
  ENFORCE_LEVEL_LABEL,
  ENFORCE_VERSION_LABEL,
  LABEL_PREFIX,
  levelVersionString,
  PRIVILEGED_POLICY,
  policyToEvaluate,
  versionString,
  WARN_LEVEL_LABEL,
  WARN_VERSION_LABEL,
  type LevelVersion,
  type Policy,
} from "./pod-security-levels.js";

/** Kubernetes' PodSecurityConfiguration: the policy of unlabelled namespaces and who is exempt. */
export interface PodSecurityConfiguration {
  readonly defaults: Policy;
  readonly exemptions: {
    readonly usernames: readonly string[];
    readonly namespaces: readonly string[];
    readonly runtimeClasses: readonly string[];
  };
}

export const DEFAULT_POD_SECURITY_CONFIGURATION: PodSecurityConfiguration = {
  defaults: PRIVILEGED_POLICY,
  exemptions: { usernames: [], namespaces: [], runtimeClasses: [] },
};

/** Audit annotation keys, under the plugin's prefix as kube-apiserver records them. */
export const AUDIT_VIOLATIONS_ANNOTATION = `${LABEL_PREFIX}audit-violations`;
export const ENFORCE_POLICY_ANNOTATION = `${LABEL_PREFIX}enforce-policy`;
export const EXEMPT_ANNOTATION = `${LABEL_PREFIX}exempt`;
const ERROR_ANNOTATION = `${LABEL_PREFIX}error`;

/** Pod subresources that cannot change the pod spec (Kubernetes' ignoredPodSubresources). */
const IGNORED_POD_SUBRESOURCES = new Set(["exec", "attach", "binding", "eviction", "log", "portforward", "proxy", "status"]);
/** Resources with a pod template: warn and audit only, never refused. */
const POD_TEMPLATE_RESOURCES = new Set(["/replicationcontrollers", "/podtemplates", "apps/replicasets", "apps/deployments", "apps/statefulsets", "apps/daemonsets", "batch/jobs", "batch/cronjobs"]);
/** Existing pods checked when a namespace's enforce level tightens (Kubernetes' defaultNamespaceMaxPodsToCheck). */
const MAX_PODS_TO_CHECK = 3000;

/** Namespace, for store reads and the cache plugins.ts builds. */
export const namespaceKind = kindFor("v1", "Namespace") as KindInfo<coreV1Config.Namespace>;
const podKind = kindFor("v1", "Pod")!;

interface PodTemplateHolder {
  spec?: { template?: coreV1Pod.PodTemplateSpec; jobTemplate?: { spec?: { template?: coreV1Pod.PodTemplateSpec } } };
}

/** The pod metadata and spec a workload object stamps out, or undefined when it has no template. */
function podTemplateOf(resource: string, obj: ApiObject): { meta: metaV1.ObjectMeta | undefined; spec: coreV1Pod.PodSpec } | undefined {
  const holder = obj as PodTemplateHolder;
  const template = resource === "cronjobs" ? holder.spec?.jobTemplate?.spec?.template : holder.spec?.template;
  return template?.spec ? { meta: template.metadata, spec: template.spec } : undefined;
}

/** Kubernetes' isSignificantPodUpdate: only a change of container count or image can change the verdict. */
function significantPodUpdate(pod: coreV1Pod.Pod, old: coreV1Pod.Pod): boolean {
  const [a, b] = [pod.spec, old.spec];
  if (!a || !b) return true;
  if (a.containers.length !== b.containers.length || a.initContainers.length !== b.initContainers.length) return true;
  return a.containers.some((c, i) => c.image !== b.containers[i]?.image) || a.initContainers.some((c, i) => c.image !== b.initContainers[i]?.image);
}

function equivalent(a: LevelVersion, b: LevelVersion): boolean {
  return (a.level === "privileged" && b.level === "privileged") || (a.level === b.level && versionString(a.version) === versionString(b.version));
}

function policyEquivalent(a: Policy, b: Policy): boolean {
  return equivalent(a.enforce, b.enforce) && equivalent(a.audit, b.audit) && equivalent(a.warn, b.warn);
}

function fullyPrivileged(p: Policy): boolean {
  return p.enforce.level === "privileged" && p.audit.level === "privileged" && p.warn.level === "privileged";
}

/**
 * PodSecurity: a validating plugin. Pods (create, and updates that change images or the number of containers) are
 * refused when they violate the namespace's enforce level (`pods "x" is forbidden: violates PodSecurity
 * "restricted:latest": …`), and get a warning and an audit annotation for the warn and audit levels. Workloads with a
 * pod template get warnings and audit annotations only. Namespace writes with malformed pod-security labels are
 * Invalid; tightening a namespace's enforce level warns about existing pods that would now be refused. Reads the
 * namespace from its cache when it has one (a namespace the cache has not seen yet is read from the store).
 */
export class PodSecurity implements ValidatingAdmissionPlugin {
  readonly name = "PodSecurity";

  /** `namespaces`, when given, answers namespace lookups (milliseconds stale at most); a miss reads the store. */
  constructor(
    private readonly config: PodSecurityConfiguration = DEFAULT_POD_SECURITY_CONFIGURATION,
    private readonly namespaces?: ObjectCache<coreV1Config.Namespace>,
  ) {}

  run(signal: AbortSignal): Promise<void> {
    return this.namespaces?.run(signal) ?? Promise.resolve();
  }

  handles(attrs: AdmissionAttributes): boolean {
    if (attrs.operation !== "CREATE" && attrs.operation !== "UPDATE") return false;
    const key = `${attrs.info.group}/${attrs.info.resource}`;
    if (key === "/namespaces") return attrs.subresource === "";
    if (key === "/pods") return !IGNORED_POD_SUBRESOURCES.has(attrs.subresource);
    return POD_TEMPLATE_RESOURCES.has(key) && attrs.subresource === "";
  }

  async validate(attrs: AdmissionAttributes, store: AdmissionStore): Promise<void> {
    if (!attrs.object) return;
    if (attrs.info.resource === "namespaces") return this.validateNamespace(attrs, store);
    const exemption = this.exemption(attrs);
    if (exemption) {
      attrs.auditAnnotations[EXEMPT_ANNOTATION] = exemption;
      return;
    }
    const namespace = this.namespaces?.get("", attrs.namespace) ?? (await store.get(namespaceKind, "", attrs.namespace));
    if (attrs.info.resource === "pods") {
      if (!namespace) throw apiErrors.internalError(new Error(`failed to lookup namespace "${attrs.namespace}"`));
      const pod = attrs.object as coreV1Pod.Pod;
      if (attrs.operation === "UPDATE" && attrs.oldObject && !significantPodUpdate(pod, attrs.oldObject as coreV1Pod.Pod)) return;
      return this.evaluate(attrs, namespace, pod.metadata, pod.spec, true);
    }
    const template = podTemplateOf(attrs.info.resource, attrs.object);
    if (!namespace || !template) return;
    return this.evaluate(attrs, namespace, template.meta, template.spec, false);
  }

  private exemption(attrs: AdmissionAttributes): string | undefined {
    const { namespaces, usernames } = this.config.exemptions;
    if (attrs.namespace !== "" && namespaces.includes(attrs.namespace)) return "namespace";
    if (attrs.user.username !== "" && usernames.includes(attrs.user.username)) return "user";
    return undefined;
  }

  private evaluate(attrs: AdmissionAttributes, ns: coreV1Config.Namespace, meta: metaV1.ObjectMeta | undefined, spec: coreV1Pod.PodSpec | undefined, enforce: boolean): void {
    const { policy, errors } = policyToEvaluate(ns.metadata?.labels ?? {}, this.config.defaults);
    if (errors.length === 0 && (enforce ? fullyPrivileged(policy) : policy.warn.level === "privileged" && policy.audit.level === "privileged")) {
      if (enforce) attrs.auditAnnotations[ENFORCE_POLICY_ANNOTATION] = levelVersionString(PRIVILEGED_POLICY.enforce);
      return;
    }
    const runtimeClass = spec?.runtimeClassName ?? "";
    if (runtimeClass !== "" && this.config.exemptions.runtimeClasses.includes(runtimeClass)) {
      attrs.auditAnnotations[EXEMPT_ANNOTATION] = "runtimeClass";
      return;
    }
    if (errors.length) attrs.auditAnnotations[ERROR_ANNOTATION] = `Failed to parse policy: ${errors.map((e) => `${e.field}: Invalid value: ${JSON.stringify(e.value)}: ${e.detail}`).join(", ")}`;
    const podSpec = spec ?? ({ containers: [], initContainers: [], volumes: [] } as unknown as coreV1Pod.PodSpec);
    const results = new Map<string, AggregateResult>();
    const resultFor = (lv: LevelVersion): AggregateResult => {
      const key = levelVersionString(lv);
      let r = results.get(key);
      if (!r) results.set(key, (r = evaluatePod(lv, meta, podSpec)));
      return r;
    };
    let refusal: string | undefined;
    if (enforce) {
      attrs.auditAnnotations[ENFORCE_POLICY_ANNOTATION] = levelVersionString(policy.enforce);
      const r = resultFor(policy.enforce);
      if (!r.allowed) refusal = `violates PodSecurity "${levelVersionString(policy.enforce)}": ${forbiddenDetail(r)}`;
    }
    const audit = resultFor(policy.audit);
    if (!audit.allowed) attrs.auditAnnotations[AUDIT_VIOLATIONS_ANNOTATION] = `would violate PodSecurity "${levelVersionString(policy.audit)}": ${forbiddenDetail(audit)}`;
    if (refusal !== undefined) {
      throw apiErrors.forbidden({ group: attrs.info.group, resource: attrs.info.resource, name: attrs.name || attrs.object?.metadata?.name || "" }, refusal);
    }
    const warn = resultFor(policy.warn);
    if (!warn.allowed) attrs.warnings.push(`would violate PodSecurity "${levelVersionString(policy.warn)}": ${forbiddenDetail(warn)}`);
  }

  private async validateNamespace(attrs: AdmissionAttributes, store: AdmissionStore): Promise<void> {
    const ns = attrs.object as coreV1Config.Namespace;
    const name = ns.metadata?.name ?? attrs.name;
    const labels = ns.metadata?.labels ?? {};
    const { policy, errors } = policyToEvaluate(labels, this.config.defaults);
    const refuse = () => apiErrors.invalid({ resource: "namespaces", kind: "Namespace", name }, errors);
    const exempt = this.config.exemptions.namespaces.includes(name);
    if (attrs.operation === "CREATE") {
      if (errors.length) throw refuse();
      if (exempt) this.warnExempt(attrs, name, policy, labels);
      return;
    }
    const old = attrs.oldObject as coreV1Config.Namespace | undefined;
    const previous = policyToEvaluate(old?.metadata?.labels ?? {}, this.config.defaults);
    if (errors.length && (previous.errors.length === 0 || JSON.stringify(previous.errors) !== JSON.stringify(errors))) throw refuse();
    const [now, before] = [policy.enforce, previous.policy.enforce];
    if (levelVersionString(now) === levelVersionString(before) || now.level === "privileged") return;
    if (versionString(now.version) === versionString(before.version) && compareLevels(now.level, before.level) < 1) return;
    if (exempt) {
      this.warnExempt(attrs, name, policy, labels);
      return;
    }
    attrs.warnings.push(...(await this.existingPodWarnings(store, name, now)));
  }

  /** Kubernetes' exemptNamespaceWarning: the explicitly set, non-privileged modes that will be ignored. */
  private warnExempt(attrs: AdmissionAttributes, name: string, policy: Policy, labels: Readonly<Record<string, string>>): void {
    if (fullyPrivileged(policy) || policyEquivalent(policy, this.config.defaults)) return;
    const parts: string[] = [];
    const mode = (label: string, lv: LevelVersion, levelLabel: string, versionLabel: string) => {
      if (lv.level !== "privileged" && (levelLabel in labels || versionLabel in labels)) parts.push(`${label}=${levelVersionString(lv)}`);
    };
    mode("enforce", policy.enforce, ENFORCE_LEVEL_LABEL, ENFORCE_VERSION_LABEL);
    mode("audit", policy.audit, AUDIT_LEVEL_LABEL, AUDIT_VERSION_LABEL);
    mode("warn", policy.warn, WARN_LEVEL_LABEL, WARN_VERSION_LABEL);
    attrs.warnings.push(`namespace "${name}" is exempt from Pod Security, and the policy (${parts.join(", ")}) will be ignored`);
  }

  /** Kubernetes' EvaluatePodsInNamespace: which existing pods the new enforce level would refuse, one warning per reason set. */
  private async existingPodWarnings(store: AdmissionStore, namespace: string, enforce: LevelVersion): Promise<string[]> {
    let pods: coreV1Pod.Pod[];
    try {
      pods = await store.list<coreV1Pod.Pod>(podKind, namespace);
    } catch {
      return ["failed to list pods while checking new PodSecurity enforce level"];
    }
    const exemptClasses = this.config.exemptions.runtimeClasses;
    const candidates = pods.filter((p) => !exemptClasses.includes(p.spec?.runtimeClassName ?? "\0"));
    // One pod per controller first, then the other replicas (Kubernetes' prioritizePods).
    const seen = new Set<string>();
    const first: coreV1Pod.Pod[] = [];
    const rest: coreV1Pod.Pod[] = [];
    for (const pod of candidates) {
      const owner = pod.metadata?.ownerReferences.find((r) => r.controller === true)?.uid;
      if (owner === undefined || !seen.has(owner)) first.push(pod);
      else rest.push(pod);
      if (owner !== undefined) seen.add(owner);
    }
    const ordered = [...first, ...rest];
    const checked = ordered.slice(0, MAX_PODS_TO_CHECK);
    const byReason = new Map<string, { podName: string; count: number }>();
    for (const pod of checked) {
      const r = evaluatePod(enforce, pod.metadata, pod.spec ?? ({ containers: [], initContainers: [], volumes: [] } as unknown as coreV1Pod.PodSpec));
      if (r.allowed) continue;
      const reason = r.reasons.join(", ");
      const podName = pod.metadata?.name ?? "";
      const entry = byReason.get(reason);
      if (!entry) byReason.set(reason, { podName, count: 1 });
      else {
        entry.count++;
        if (podName < entry.podName) entry.podName = podName;
      }
    }
    const warnings: string[] = [];
    if (checked.length < ordered.length) warnings.push(`new PodSecurity enforce level only checked against the first ${checked.length} of ${ordered.length} existing pods`);
    if (byReason.size) warnings.push(`existing pods in namespace "${namespace}" violate the new PodSecurity enforce level "${levelVersionString(enforce)}"`);
    const podWarnings = [...byReason].map(([reason, { podName, count }]) => {
      if (count === 1) return `${podName}: ${reason}`;
      return `${podName} (and ${count - 1} other ${count === 2 ? "pod" : "pods"}): ${reason}`;
    });
    return [...warnings, ...podWarnings.sort()];
  }
}
