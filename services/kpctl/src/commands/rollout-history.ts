// `kpctl rollout history|undo deployment/NAME`: a Deployment's revisions are its ReplicaSets, numbered by annotation.
import { isDeepStrictEqual } from "node:util";
import { isConflict, kindFor, type KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { KpctlError } from "../errors.js";
import { arr, at, isRecord, rec, str } from "../json-fields.js";
import { DescribeWriter } from "../printers/describe-writer.js";
import { describePodTemplate } from "../printers/describe-kinds.js";
import { alignTabs, DESCRIBE_TABS } from "../printers/tab-writer.js";
import { objectRef } from "../resource-names.js";
import type { CommandContext } from "./command.js";
import { REVISION_ANNOTATION } from "./rollout-progress.js";
import { revisionFlag } from "./rollout-status.js";

const CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause";
const POD_TEMPLATE_HASH_LABEL = "pod-template-hash";
const MAX_CONFLICT_RETRIES = 5;
/** Annotations the Deployment keeps through a rollback (kubectl's annotationsToSkip); the rest come from the ReplicaSet. */
const DEPLOYMENT_OWN_ANNOTATIONS = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  REVISION_ANNOTATION,
  "deployment.kubernetes.io/revision-history",
  "deployment.kubernetes.io/desired-replicas",
  "deployment.kubernetes.io/max-replicas",
  "deprecated.deployment.rollback.to",
]);

interface Revision {
  revision: number;
  replicaSet: JsonObject;
}

/** The ReplicaSets the Deployment controls (controller ownerReference by uid), by revision, oldest first. */
async function revisionsOf(ctx: CommandContext, deployment: JsonObject): Promise<Revision[]> {
  const replicaSets = kindFor("apps/v1", "ReplicaSet") as KindInfo;
  const uid = str(deployment, "metadata", "uid");
  const list = await ctx.client().json.list(replicaSets, { namespace: str(deployment, "metadata", "namespace"), signal: ctx.io.signal });
  const byRevision = new Map<number, JsonObject>();
  for (const rs of list.items) {
    const owned = arr(rs, "metadata", "ownerReferences").some((r) => at(r, "controller") === true && str(r, "uid") === uid);
    const revision = Number(str(rs, "metadata", "annotations", REVISION_ANNOTATION));
    if (owned && Number.isInteger(revision) && revision > 0) byRevision.set(revision, rs);
  }
  return [...byRevision].sort(([a], [b]) => a - b).map(([revision, replicaSet]) => ({ revision, replicaSet }));
}

/** kubectl's printTemplate: the ReplicaSet's pod template, with its change-cause shown among the annotations. */
function templateText(rs: JsonObject): string {
  const template = structuredClone(rec(rs, "spec", "template"));
  const cause = str(rs, "metadata", "annotations", CHANGE_CAUSE_ANNOTATION);
  if (cause) template.metadata = { ...rec(template, "metadata"), annotations: { ...rec(template, "metadata", "annotations"), [CHANGE_CAUSE_ANNOTATION]: cause } };
  const w = new DescribeWriter();
  describePodTemplate(w, 0, template);
  return w.toString();
}

export async function rolloutHistory(ctx: CommandContext, info: KindInfo, name: string): Promise<void> {
  const wanted = revisionFlag(ctx, "revision");
  const deployment = await ctx.client().json.get(info, ctx.settings.namespace, name, { signal: ctx.io.signal });
  const revisions = await revisionsOf(ctx, deployment);
  const ref = objectRef(info, name);
  if (revisions.length === 0) {
    ctx.out(`${ref} \nNo rollout history found.\n`);
    return;
  }
  if (wanted !== undefined) {
    const found = revisions.find((r) => r.revision === wanted);
    if (!found) throw new KpctlError("unable to find the specified revision", "EREVISION");
    ctx.out(`${ref} with revision #${wanted}\n${templateText(found.replicaSet)}\n`);
    return;
  }
  const rows = ["REVISION\tCHANGE-CAUSE", ...revisions.map((r) => `${r.revision}\t${str(r.replicaSet, "metadata", "annotations", CHANGE_CAUSE_ANNOTATION) || "<none>"}`)];
  ctx.out(`${ref} \n${alignTabs(rows, DESCRIBE_TABS).map((l) => `${l}\n`).join("")}\n`);
}

/** kubectl's deploymentRevision: --to-revision's ReplicaSet, or by default the newest but one. */
function rollbackTarget(revisions: readonly Revision[], toRevision: number | undefined, name: string): Revision {
  if (toRevision !== undefined) {
    const found = revisions.find((r) => r.revision === toRevision);
    if (!found) throw new KpctlError(`unable to find specified revision ${toRevision} in history`, "EREVISION");
    return found;
  }
  const previous = revisions.at(-2);
  if (!previous) throw new KpctlError(`no rollout history found for deployment "${name}"`, "EREVISION");
  return previous;
}

function withoutHash(template: unknown): Record<string, unknown> {
  const copy = structuredClone(isRecord(template) ? template : {});
  const labels = at(copy, "metadata", "labels");
  if (isRecord(labels)) delete labels[POD_TEMPLATE_HASH_LABEL];
  return copy;
}

/** The Deployment's annotations after a rollback: its own bookkeeping ones, the rest from the ReplicaSet. */
function rolledBackAnnotations(deployment: JsonObject, rs: JsonObject): Record<string, unknown> {
  const own = Object.entries(rec(deployment, "metadata", "annotations")).filter(([k]) => DEPLOYMENT_OWN_ANNOTATIONS.has(k));
  const fromRs = Object.entries(rec(rs, "metadata", "annotations")).filter(([k]) => !DEPLOYMENT_OWN_ANNOTATIONS.has(k));
  return Object.fromEntries([...own, ...fromRs]);
}

/** Copies the chosen revision's pod template into the Deployment; the controller then rolls it out as a new revision. */
export async function rolloutUndo(ctx: CommandContext, info: KindInfo, name: string): Promise<string> {
  const toRevision = revisionFlag(ctx, "to-revision");
  const json = ctx.client().json;
  const ref = objectRef(info, name);
  for (let attempt = 0; ; attempt++) {
    const deployment = await json.get(info, ctx.settings.namespace, name, { signal: ctx.io.signal });
    if (at(deployment, "spec", "paused") === true) {
      throw new KpctlError("you cannot rollback a paused deployment; resume it first with 'kpctl rollout resume' and try again", "EPAUSED");
    }
    const target = rollbackTarget(await revisionsOf(ctx, deployment), toRevision, name);
    const template = withoutHash(at(target.replicaSet, "spec", "template"));
    if (isDeepStrictEqual(template, withoutHash(at(deployment, "spec", "template")))) {
      return `${ref} skipped rollback (current template already matches revision ${target.revision})`;
    }
    const updated = structuredClone(deployment);
    updated.spec = { ...rec(updated, "spec"), template };
    updated.metadata = { ...rec(updated, "metadata"), annotations: rolledBackAnnotations(deployment, target.replicaSet) };
    try {
      await json.update(info, updated, { signal: ctx.io.signal });
      return `${ref} rolled back`;
    } catch (err) {
      // Someone (often the controller, writing status) updated it between our read and write: read again.
      if (!isConflict(err) || attempt >= MAX_CONFLICT_RETRIES) throw err;
    }
  }
}
