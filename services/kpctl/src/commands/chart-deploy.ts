// A release's objects in the cluster: applied with apply's create-or-update plan, owned by the release, dropped ones deleted.
import { isConflict, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { parseManifest, sortForInstall, sortForUninstall, type RenderedObject } from "@kubeplane/chart";
import { planApply } from "../apply-plan.js";
import { KpctlError } from "../errors.js";
import { isRecord, str } from "../json-fields.js";
import { objectRef } from "../resource-names.js";
import type { CommandContext } from "./command.js";

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "kpctl";
export const RELEASE_NAME_ANNOTATION = "meta.kubeplane.io/release-name";
export const RELEASE_NAMESPACE_ANNOTATION = "meta.kubeplane.io/release-namespace";
const MAX_CONFLICT_RETRIES = 5;

/** One object of a release, resolved against the kinds registry, with its namespace filled in. */
export interface ReleaseObject {
  info: KindInfo;
  namespace: string;
  name: string;
  template: string;
  object: JsonObject;
}

/** Identity of an object across revisions: group, kind, namespace, name (the version may change). */
export function objectKey(o: Pick<ReleaseObject, "info" | "namespace" | "name">): string {
  return `${o.info.group}/${o.info.kind}/${o.namespace}/${o.name}`;
}

/**
 * The objects of a manifest for release `name` in `namespace`: kinds resolved, namespaced objects
 * without a namespace put in the release's, the managed-by label and release annotations added.
 * Throws for a kind the cluster does not serve or an object without a name.
 */
export function releaseObjects(rendered: readonly RenderedObject[], name: string, namespace: string): ReleaseObject[] {
  return rendered.map(({ template, object }) => {
    const apiVersion = str(object, "apiVersion");
    const kind = str(object, "kind");
    const info = kindFor(apiVersion, kind);
    if (!info) throw new KpctlError(`${template}: resource mapping not found: no matches for kind "${kind}" in version "${apiVersion}"`, "EUNKNOWNKIND");
    const out = structuredClone(object) as JsonObject;
    const metadata = isRecord(out.metadata) ? out.metadata : (out.metadata = {});
    const objName = str(metadata, "name");
    if (!objName) throw new KpctlError(`${template}: object ${kind} has no metadata.name`, "EMANIFEST");
    if (info.namespaced) metadata.namespace = str(metadata, "namespace") || namespace;
    else delete metadata.namespace;
    const labels = isRecord(metadata.labels) ? metadata.labels : (metadata.labels = {});
    labels[MANAGED_BY_LABEL] = MANAGED_BY;
    const annotations = isRecord(metadata.annotations) ? metadata.annotations : (metadata.annotations = {});
    annotations[RELEASE_NAME_ANNOTATION] = name;
    annotations[RELEASE_NAMESPACE_ANNOTATION] = namespace;
    return { info, namespace: str(metadata, "namespace"), name: objName, template, object: out };
  });
}

/** The objects a stored manifest names (for deletes and rollbacks). */
export function manifestObjects(manifest: string, name: string, namespace: string): ReleaseObject[] {
  return releaseObjects(parseManifest(manifest), name, namespace);
}

/** Helm's ownership check: an existing object may be taken over only if it already belongs to this release. */
function checkOwnership(live: JsonObject, o: ReleaseObject, release: string, namespace: string): void {
  const problems: string[] = [];
  const labels = isRecord(isRecord(live.metadata) ? live.metadata.labels : undefined) ? ((live.metadata as JsonObject).labels as JsonObject) : {};
  const annotations = isRecord(isRecord(live.metadata) ? live.metadata.annotations : undefined) ? ((live.metadata as JsonObject).annotations as JsonObject) : {};
  if (labels[MANAGED_BY_LABEL] !== MANAGED_BY) problems.push(`label validation error: missing key "${MANAGED_BY_LABEL}": must be set to "${MANAGED_BY}"`);
  for (const [key, want] of [[RELEASE_NAME_ANNOTATION, release], [RELEASE_NAMESPACE_ANNOTATION, namespace]] as const) {
    const have = annotations[key];
    if (have === undefined) problems.push(`annotation validation error: missing key "${key}": must be set to "${want}"`);
    else if (have !== want) problems.push(`annotation validation error: key "${key}" must equal "${want}": current value is "${String(have)}"`);
  }
  if (problems.length) {
    throw new KpctlError(
      `${o.info.kind} "${o.name}"${o.info.namespaced ? ` in namespace "${o.namespace}"` : ""} exists and cannot be imported into the current release: invalid ownership metadata; ${problems.join("; ")}`,
      "EOWNERSHIP",
    );
  }
}

/** Creates or updates one object as `kpctl apply` does (three-way merge on the last-applied annotation); returns what happened. */
async function applyObject(ctx: CommandContext, o: ReleaseObject, release: string, namespace: string): Promise<"created" | "configured" | "unchanged"> {
  const json = ctx.client().json;
  for (let attempt = 0; ; attempt++) {
    let live: JsonObject | undefined;
    try {
      live = await json.get(o.info, o.namespace, o.name, { signal: ctx.io.signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (live) checkOwnership(live, o, release, namespace);
    const plan = planApply(o.object, live);
    if (plan.action === "unchanged") return "unchanged";
    try {
      if (plan.action === "create") await json.create(o.info, plan.object, { signal: ctx.io.signal });
      else await json.update(o.info, plan.object, { signal: ctx.io.signal });
      return plan.action === "create" ? "created" : "configured";
    } catch (err) {
      if (!isConflict(err) || attempt >= MAX_CONFLICT_RETRIES) throw err;
    }
  }
}

/** Deletes objects (in uninstall order), ignoring ones already gone; returns how many were deleted. */
export async function deleteObjects(ctx: CommandContext, objects: readonly ReleaseObject[], log: (line: string) => void): Promise<number> {
  let n = 0;
  for (const o of sortForUninstall(objects)) {
    try {
      await ctx.client().json.delete(o.info, o.namespace, o.name, { propagationPolicy: "Background", signal: ctx.io.signal });
      log(`${objectRef(o.info, o.name)} deleted`);
      n++;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return n;
}

/**
 * Brings the cluster from the `previous` objects to `next`: applies each of `next` in install
 * order, then deletes those of `previous` that `next` no longer has. Throws on the first failure
 * (the caller marks the revision failed and, with --atomic, rolls back).
 */
export async function deployObjects(
  ctx: CommandContext,
  release: { name: string; namespace: string },
  next: readonly ReleaseObject[],
  previous: readonly ReleaseObject[],
  log: (line: string) => void,
): Promise<void> {
  for (const o of sortForInstall(next)) {
    const what = await applyObject(ctx, o, release.name, release.namespace);
    if (what !== "unchanged") log(`${objectRef(o.info, o.name)} ${what}`);
  }
  const keep = new Set(next.map(objectKey));
  await deleteObjects(ctx, previous.filter((o) => !keep.has(objectKey(o))), log);
}
