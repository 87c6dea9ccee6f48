// What the Pod Security Standards checks share: the check shape, result helpers and message wording.
import type { coreV1Pod, metaV1 } from "@kubeplane/api";
import type { Version } from "./pod-security-levels.js";

/** One check's verdict on a pod: allowed, or the reason (`privileged`) and detail Kubernetes prints. */
export type CheckResult = { readonly allowed: true } | { readonly allowed: false; readonly reason: string; readonly detail: string };

/** A check of a pod's metadata and spec; pure and synchronous. */
export type CheckPodFn = (meta: metaV1.ObjectMeta | undefined, spec: coreV1Pod.PodSpec) => CheckResult;

/** One version of a check: applies from `minimumVersion` until the next entry's. */
export interface VersionedCheck {
  readonly minimumVersion: Version;
  readonly check: CheckPodFn;
  /** Baseline check IDs this restricted check replaces at this version (e.g. restrictedVolumes replaces hostPathVolumes). */
  readonly overrides?: readonly string[];
}

/** A Pod Security Standards control (Kubernetes' policy.Check): its ID, level and versions, oldest first. */
export interface Check {
  readonly id: string;
  readonly level: "baseline" | "restricted";
  readonly versions: readonly VersionedCheck[];
}

export const ALLOWED: CheckResult = Object.freeze({ allowed: true });

export function forbid(reason: string, detail: string): CheckResult {
  return { allowed: false, reason, detail };
}

export function v(minor: number): Version {
  return { major: 1, minor };
}

/** `"a", "b"` as Kubernetes quotes lists in messages. */
export function joinQuote(items: readonly string[]): string {
  return items.length === 0 ? "" : `"${items.join('", "')}"`;
}

export function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

/** `container "a"` / `containers "a", "b"`. */
export function containersPhrase(names: readonly string[]): string {
  return `${pluralize("container", "containers", names.length)} ${joinQuote(names)}`;
}

/** The distinct values, sorted as Go's sets.List (code-unit order). */
export function sortedSet(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** Init containers, then containers (Kubernetes' visitContainers; ephemeral containers are not in our API). */
export function visitContainers(spec: coreV1Pod.PodSpec, visit: (c: coreV1Pod.Container) => void): void {
  for (const c of spec.initContainers) visit(c);
  for (const c of spec.containers) visit(c);
}

/** The pod's names of containers for which `bad` holds, in visit order. */
export function badContainers(spec: coreV1Pod.PodSpec, bad: (c: coreV1Pod.Container) => boolean): string[] {
  const names: string[] = [];
  visitContainers(spec, (c) => {
    if (bad(c)) names.push(c.name);
  });
  return names;
}

export function isWindowsPod(spec: coreV1Pod.PodSpec): boolean {
  return spec.os?.name === "windows";
}
