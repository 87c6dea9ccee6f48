// Controller revisions: hashing a pod template, and the ControllerRevision history DaemonSets and StatefulSets keep.
import { appsV1ControllerRevision, coreV1Pod, isAlreadyExists, isNotFound, kindFor, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import { isControlledBy, newControllerRef } from "@kubeplane/controller";

type ControllerRevision = appsV1ControllerRevision.ControllerRevision;
type PodTemplateSpec = coreV1Pod.PodTemplateSpec;

export const controllerRevisions = kindFor("apps/v1", "ControllerRevision") as KindInfo<ControllerRevision>;

/** The label on pods and revisions naming the revision they belong to. */
export const CONTROLLER_REVISION_HASH = "controller-revision-hash";

/** Kubernetes' rand.SafeEncodeString alphabet: no vowels, no look-alikes, so hashes never spell words. */
const SAFE_CHARS = "bcdfghjklmnpqrstvwxz2456789";

/** 32-bit FNV-1a over the UTF-8 bytes of `text` (what Kubernetes hashes templates with). */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, "utf8")) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** JSON with object keys sorted at every level, so equal values hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** What a revision records: the owner's template, as Kubernetes' `{spec: {template: …}}` patch. */
export function revisionData(template: PodTemplateSpec | undefined): Record<string, unknown> {
  return { spec: { template: coreV1Pod.PodTemplateSpec.toJSON(template ?? coreV1Pod.PodTemplateSpec.fromPartial({})) } };
}

/** The template a revision recorded. */
export function templateOf(revision: ControllerRevision): PodTemplateSpec {
  const spec = revision.data?.["spec"] as { template?: unknown } | undefined;
  return coreV1Pod.PodTemplateSpec.fromJSON(spec?.template ?? {});
}

/** The revision hash of `data`; a collision count (from the owner's status) changes it. */
export function revisionHash(data: unknown, collisionCount = 0): string {
  const digits = String(fnv1a32(canonicalJson(data) + (collisionCount > 0 ? String(collisionCount) : "")));
  return [...digits].map((c) => SAFE_CHARS[c.charCodeAt(0) % SAFE_CHARS.length]).join("");
}

function sameData(a: ControllerRevision, data: unknown): boolean {
  return canonicalJson(a.data ?? {}) === canonicalJson(data);
}

/** The outcome of `ensureRevision`: the revision of the owner's template, or a hash collision. */
export type EnsureRevisionResult = { revision: ControllerRevision; hash: string } | { collision: true };

/**
 * Finds or creates the ControllerRevision of `template` among `owned` (the owner's revisions, from a
 * lister). An older revision with the same data (a rollback) is renumbered to be the newest. When
 * another object holds the hashed name, returns `{collision: true}`: the caller bumps its status'
 * collisionCount and retries, as Kubernetes does. Throws the client's ApiError on other failures.
 */
export async function ensureRevision(
  client: ApiClient,
  owner: ApiObject,
  template: PodTemplateSpec | undefined,
  owned: readonly ControllerRevision[],
  collisionCount: number,
): Promise<EnsureRevisionResult> {
  const data = revisionData(template);
  const newest = Math.max(0, ...owned.map((r) => r.revision ?? 0));
  const found = owned.find((r) => sameData(r, data));
  if (found) {
    const hash = found.metadata?.labels[CONTROLLER_REVISION_HASH] ?? found.metadata!.name.slice(owner.metadata!.name.length + 1);
    if ((found.revision ?? 0) >= newest) return { revision: found, hash };
    const renumbered = appsV1ControllerRevision.ControllerRevision.fromPartial({ ...found, revision: newest + 1 });
    return { revision: (await client.update(controllerRevisions, renumbered)) as ControllerRevision, hash };
  }
  const hash = revisionHash(data, collisionCount);
  const namespace = owner.metadata!.namespace;
  const name = `${owner.metadata!.name}-${hash}`;
  const revision = appsV1ControllerRevision.ControllerRevision.fromPartial({
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: {
      name,
      namespace,
      labels: { ...(template?.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH]: hash },
      ownerReferences: [newControllerRef(owner)],
    },
    data,
    revision: newest + 1,
  });
  try {
    return { revision: (await client.create(controllerRevisions, revision)) as ControllerRevision, hash };
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = (await client.get(controllerRevisions, namespace ?? "", name)) as ControllerRevision;
    // Ours, created by an earlier attempt whose reply (or informer event) has not arrived yet.
    if (isControlledBy(existing, owner.metadata!.uid) && sameData(existing, data)) return { revision: existing, hash };
    return { collision: true };
  }
}

/**
 * Deletes the oldest revisions beyond `limit`, never one in `live` (names of revisions that pods or
 * the owner's status still use). NotFound is ignored; other errors are thrown.
 */
export async function truncateHistory(client: ApiClient, owned: readonly ControllerRevision[], live: ReadonlySet<string>, limit: number): Promise<void> {
  const removable = owned.filter((r) => !live.has(r.metadata!.name)).sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  const excess = removable.length - Math.max(0, limit);
  for (const r of removable.slice(0, Math.max(0, excess))) {
    try {
      await client.delete(controllerRevisions, r.metadata!.namespace ?? "", r.metadata!.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
