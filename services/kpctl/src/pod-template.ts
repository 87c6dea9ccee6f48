// Where a kind keeps its pod spec, and the small parsers the workload verbs share (KEY=VALUE lists, container names from images).
import type { KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "./args.js";
import { KpctlError } from "./errors.js";
import { isRecord } from "./json-fields.js";

const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  "/pods": ["spec"],
  "/replicationcontrollers": ["spec", "template", "spec"],
  "apps/deployments": ["spec", "template", "spec"],
  "apps/replicasets": ["spec", "template", "spec"],
  "apps/daemonsets": ["spec", "template", "spec"],
  "apps/statefulsets": ["spec", "template", "spec"],
  "batch/jobs": ["spec", "template", "spec"],
  "batch/cronjobs": ["spec", "jobTemplate", "spec", "template", "spec"],
};

/** The pod spec inside an object (created along the path when missing); throws for a kind without pods. */
export function podSpecOf(info: KindInfo, obj: JsonObject): Record<string, unknown> {
  const path = TEMPLATE_PATHS[`${info.group}/${info.resource}`];
  if (!path) throw new KpctlError(`${info.resource} have no pod template`, "ENOTEMPLATE");
  let cur: Record<string, unknown> = obj;
  for (const key of path) {
    if (!isRecord(cur[key])) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  return cur;
}

/** Containers (and init containers) of a pod spec, as mutable records. */
export function containersOf(spec: Record<string, unknown>, includeInit = false): Record<string, unknown>[] {
  const list = (key: string): Record<string, unknown>[] => (Array.isArray(spec[key]) ? (spec[key] as unknown[]).filter(isRecord) : []);
  return includeInit ? [...list("initContainers"), ...list("containers")] : list("containers");
}

/** `KEY=VALUE` pairs in order; throws UsageError naming the flag for one without `=`. */
export function keyValues(items: readonly string[], flag: string): [string, string][] {
  return items.map((item) => {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`invalid ${flag}: "${item}" (expected KEY=VALUE)`);
    return [item.slice(0, eq), item.slice(eq + 1)];
  });
}

/** kubectl's container name for an image: its last path segment without tag or digest (`docker.io/library/nginx:1.27` → nginx). */
export function containerNameFor(image: string): string {
  const base = image.split("/").pop() ?? image;
  return base.split("@")[0]!.split(":")[0]!.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^-+|-+$/g, "") || "container";
}
