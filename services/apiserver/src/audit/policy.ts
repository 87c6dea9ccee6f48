// The audit policy (audit.k8s.io/v1 Policy): read and validated once at start, then the first matching rule gives each request's level.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { FieldPath, fieldErrorMessage, invalid, isDns1123Subdomain, notSupported, required, typeInvalid, unknownField, type FieldError } from "@kubeplane/api";
import type { RequestAttributes } from "../authz/attributes.js";

/** How much of a request an event records, from nothing to both bodies. */
export type Level = "None" | "Metadata" | "Request" | "RequestResponse";
/** When an event is written in a request's life. */
export type Stage = "RequestReceived" | "ResponseStarted" | "ResponseComplete" | "Panic";

export const LEVELS: readonly Level[] = ["None", "Metadata", "Request", "RequestResponse"];
export const STAGES: readonly Stage[] = ["RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"];

/** `a` records less than `b`. */
export function levelLess(a: Level, b: Level): boolean {
  return LEVELS.indexOf(a) < LEVELS.indexOf(b);
}

/** One entry of a rule's `resources`: a group ("" is core), resources (`pods`, `pods/log`, `*`, `*\/status`, `deployments/*`) and names. */
export interface GroupResources {
  group: string;
  resources: string[];
  resourceNames: string[];
}

/** One rule; an empty list matches everything for its attribute. */
export interface PolicyRule {
  level: Level;
  users: string[];
  userGroups: string[];
  verbs: string[];
  resources: GroupResources[];
  namespaces: string[];
  nonResourceURLs: string[];
  omitStages: Stage[];
  omitManagedFields: boolean | undefined;
}

/** A validated Policy. */
export interface Policy {
  rules: PolicyRule[];
  omitStages: Stage[];
  omitManagedFields: boolean;
}

/** What the policy decides for one request. */
export interface PolicyDecision {
  level: Level;
  omitStages: ReadonlySet<Stage>;
  omitManagedFields: boolean;
}

/** A policy file that cannot be used; `errors` name each rule and field (`rules[2].level: Unsupported value: …`). */
export class AuditPolicyError extends Error {
  override readonly name = "AuditPolicyError";
  readonly code = "AUDIT_POLICY_INVALID";
  readonly errors: readonly FieldError[];
  /** `problems`: the field errors, or one sentence when the file could not be read or parsed at all. */
  constructor(
    readonly source: string,
    problems: readonly FieldError[] | string,
    options?: { cause?: unknown },
  ) {
    super(`invalid audit policy ${source}: ${typeof problems === "string" ? problems : problems.map(fieldErrorMessage).join("; ")}`, options);
    this.errors = typeof problems === "string" ? [] : problems;
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function stringList(value: unknown, path: FieldPath, errors: FieldError[]): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push(typeInvalid(path, value, "must be a list of strings"));
    return [];
  }
  const out: string[] = [];
  value.forEach((v, i) => {
    if (typeof v === "string") out.push(v);
    else errors.push(typeInvalid(path.index(i), v, "must be a string"));
  });
  return out;
}

function unknownKeys(obj: Json, known: readonly string[], path: FieldPath | undefined, errors: FieldError[]): void {
  for (const key of Object.keys(obj)) if (!known.includes(key)) errors.push(unknownField(path ? path.child(key) : FieldPath.root(key)));
}

function stages(value: unknown, path: FieldPath, errors: FieldError[]): Stage[] {
  const out: Stage[] = [];
  stringList(value, path, errors).forEach((s, i) => {
    if ((STAGES as readonly string[]).includes(s)) out.push(s as Stage);
    else errors.push(invalid(path.index(i), s, `allowed stages are ${STAGES.join(",")}`));
  });
  return out;
}

function optionalBool(value: unknown, path: FieldPath, errors: FieldError[]): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  errors.push(typeInvalid(path, value, "must be a boolean"));
  return undefined;
}

function groupResources(value: unknown, path: FieldPath, errors: FieldError[]): GroupResources[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push(typeInvalid(path, value, "must be a list"));
    return [];
  }
  return value.flatMap((entry, i): GroupResources[] => {
    const at = path.index(i);
    if (!isObject(entry)) {
      errors.push(typeInvalid(at, entry, "must be an object with group, resources, resourceNames"));
      return [];
    }
    unknownKeys(entry, ["group", "resources", "resourceNames"], at, errors);
    let group = "";
    if (entry["group"] !== undefined && entry["group"] !== null) {
      if (typeof entry["group"] !== "string") errors.push(typeInvalid(at.child("group"), entry["group"], "must be a string"));
      else group = entry["group"];
    }
    // "" is the core group; others are DNS subdomains (so "apps/v1", a version, is refused).
    if (group && !isDns1123Subdomain(group)) errors.push(invalid(at.child("group"), group, "must be an API group name (a lowercase DNS subdomain), without a version"));
    const resources = stringList(entry["resources"], at.child("resources"), errors);
    const resourceNames = stringList(entry["resourceNames"], at.child("resourceNames"), errors);
    if (resourceNames.length > 0 && resources.length === 0) errors.push(invalid(at.child("resourceNames"), resourceNames, "using resourceNames requires at least one resource"));
    return [{ group, resources, resourceNames }];
  });
}

function nonResourceUrls(value: unknown, path: FieldPath, errors: FieldError[]): string[] {
  const urls = stringList(value, path, errors);
  urls.forEach((url, i) => {
    if (url === "*") return;
    if (!url.startsWith("/")) errors.push(invalid(path.index(i), url, "non-resource URL rules must begin with a '/' character"));
    if (url.slice(0, -1).includes("*")) errors.push(invalid(path.index(i), url, "non-resource URL wildcards '*' must be the final character of the rule"));
  });
  return urls;
}

const RULE_KEYS = ["level", "users", "userGroups", "verbs", "resources", "namespaces", "nonResourceURLs", "omitStages", "omitManagedFields"] as const;

function rule(value: unknown, path: FieldPath, errors: FieldError[]): PolicyRule | undefined {
  if (!isObject(value)) {
    errors.push(typeInvalid(path, value, "must be an object"));
    return undefined;
  }
  unknownKeys(value, RULE_KEYS, path, errors);
  const level = value["level"];
  if (level === undefined || level === null || level === "") errors.push(required(path.child("level")));
  else if (!(LEVELS as readonly unknown[]).includes(level)) errors.push(notSupported(path.child("level"), level, LEVELS));
  const r: PolicyRule = {
    level: level as Level,
    users: stringList(value["users"], path.child("users"), errors),
    userGroups: stringList(value["userGroups"], path.child("userGroups"), errors),
    verbs: stringList(value["verbs"], path.child("verbs"), errors),
    resources: groupResources(value["resources"], path.child("resources"), errors),
    namespaces: stringList(value["namespaces"], path.child("namespaces"), errors),
    nonResourceURLs: nonResourceUrls(value["nonResourceURLs"], path.child("nonResourceURLs"), errors),
    omitStages: stages(value["omitStages"], path.child("omitStages"), errors),
    omitManagedFields: optionalBool(value["omitManagedFields"], path.child("omitManagedFields"), errors),
  };
  if (r.nonResourceURLs.length > 0 && (r.resources.length > 0 || r.namespaces.length > 0)) {
    errors.push(invalid(path.child("nonResourceURLs"), r.nonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"));
  }
  return r;
}

/**
 * Validates a parsed Policy document as kube-apiserver does, and more strictly: unknown fields and
 * wrong types are errors too (a misspelt `userGroup` would otherwise widen a rule silently).
 * Throws AuditPolicyError listing every problem; `source` names the file in the message.
 */
export function validatePolicy(doc: unknown, source: string): Policy {
  const errors: FieldError[] = [];
  if (!isObject(doc)) throw new AuditPolicyError(source, "the document must be an object (apiVersion: audit.k8s.io/v1, kind: Policy)");
  unknownKeys(doc, ["apiVersion", "kind", "metadata", "rules", "omitStages", "omitManagedFields"], undefined, errors);
  if (doc["apiVersion"] !== "audit.k8s.io/v1") errors.push(notSupported(FieldPath.root("apiVersion"), doc["apiVersion"], ["audit.k8s.io/v1"]));
  if (doc["kind"] !== "Policy") errors.push(notSupported(FieldPath.root("kind"), doc["kind"], ["Policy"]));
  const rulesPath = FieldPath.root("rules");
  const rawRules = doc["rules"];
  const rules: PolicyRule[] = [];
  if (!Array.isArray(rawRules) || rawRules.length === 0) {
    // kube-apiserver refuses a policy without rules: it would silently audit nothing.
    errors.push(Array.isArray(rawRules) || rawRules === undefined ? required(rulesPath, "a policy needs at least one rule") : typeInvalid(rulesPath, rawRules, "must be a list of rules"));
  } else {
    rawRules.forEach((r, i) => {
      const parsed = rule(r, rulesPath.index(i), errors);
      if (parsed) rules.push(parsed);
    });
  }
  const omitStages = stages(doc["omitStages"], FieldPath.root("omitStages"), errors);
  const omitManagedFields = optionalBool(doc["omitManagedFields"], FieldPath.root("omitManagedFields"), errors) ?? false;
  if (errors.length) throw new AuditPolicyError(source, errors);
  return { rules, omitStages, omitManagedFields };
}

/** Parses a policy file's text (YAML, of which JSON is a subset) and validates it. */
export function parsePolicy(text: string, source: string): Policy {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new AuditPolicyError(source, `not valid YAML or JSON: ${(err as Error).message}`, { cause: err });
  }
  return validatePolicy(doc, source);
}

/** Reads and validates `--audit-policy-file`. */
export function loadPolicyFile(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new AuditPolicyError(path, `cannot read the file: ${(err as Error).message}`, { cause: err });
  }
  return parsePolicy(text, path);
}

function pathMatches(path: string, spec: string): boolean {
  if (spec === "*" || spec === path) return true;
  return spec.endsWith("*") && path.startsWith(spec.slice(0, -1));
}

function resourceMatches(r: PolicyRule, a: RequestAttributes): boolean {
  if (!a.resourceRequest) return false;
  if (r.namespaces.length > 0 && !r.namespaces.includes(a.namespace)) return false; // cluster-scoped: ""
  if (r.resources.length === 0) return true;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  for (const gr of r.resources) {
    if (gr.group !== a.apiGroup) continue;
    if (gr.resources.length === 0) return true;
    if (gr.resourceNames.length > 0 && !gr.resourceNames.includes(a.name)) continue;
    for (const res of gr.resources) {
      if (res === "*" || res === combined) return true;
      if (a.subresource && res.startsWith("*/") && res.slice(2) === a.subresource) return true;
      if (res.endsWith("/*") && res.slice(0, -2) === a.resource) return true;
    }
  }
  return false;
}

/** Whether `r` applies to the request: every attribute the rule names must match (kube-apiserver's ruleMatches). */
export function ruleMatches(r: PolicyRule, a: RequestAttributes): boolean {
  if (r.users.length > 0 && !r.users.includes(a.user.username)) return false;
  if (r.userGroups.length > 0 && !a.user.groups.some((g) => r.userGroups.includes(g))) return false;
  if (r.verbs.length > 0 && !r.verbs.includes(a.verb)) return false;
  if (r.namespaces.length > 0 || r.resources.length > 0) return resourceMatches(r, a);
  if (r.nonResourceURLs.length > 0) return !a.resourceRequest && r.nonResourceURLs.some((spec) => pathMatches(a.path, spec));
  return true;
}

/**
 * Decides levels from a Policy: the first matching rule wins; no match is level None. A rule's
 * omitStages are its own and the policy's together; its omitManagedFields, when set, overrides the
 * policy's. Pure and synchronous: called for every request.
 */
export class PolicyChecker {
  private readonly decisions: PolicyDecision[];
  private readonly fallback: PolicyDecision;

  constructor(private readonly policy: Policy) {
    this.decisions = policy.rules.map((r) => ({
      level: r.level,
      omitStages: new Set([...policy.omitStages, ...r.omitStages]),
      omitManagedFields: r.omitManagedFields ?? policy.omitManagedFields,
    }));
    this.fallback = { level: "None", omitStages: new Set(policy.omitStages), omitManagedFields: policy.omitManagedFields };
  }

  decide(attrs: RequestAttributes): PolicyDecision {
    const i = this.policy.rules.findIndex((r) => ruleMatches(r, attrs));
    return i < 0 ? this.fallback : this.decisions[i]!;
  }
}
