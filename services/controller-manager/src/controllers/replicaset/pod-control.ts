// Pod writes shared by replica controllers: pods from a template, slow-start batches, adopting and releasing pods.
import { coreV1Pod, isConflict, isNotFound, kindFor, metaV1, type ApiObject, type KindInfo, type LabelSelector } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import { controllerRef, newControllerRef } from "@kubeplane/controller";
import { isPodActive } from "../util/pod-util.js";

type Pod = coreV1Pod.Pod;

export const podKind = kindFor("v1", "Pod") as KindInfo<Pod>;

/** The apiserver appends 5 random characters; Kubernetes' name generator keeps the whole name within 63. */
const maxGenerateNameLength = 58;

/**
 * A pod a replica controller failed to create or delete. `code` becomes the reason of the
 * owner's ReplicaFailure condition; `cause` is the first ApiError met.
 */
export class PodControlError extends Error {
  override readonly name = "PodControlError";

  constructor(
    readonly code: "FailedCreate" | "FailedDelete",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The pod `owner` creates from `template` (GetPodFromTemplate): labels, annotations, finalizers and spec copied, controlled by `owner`. */
export function podFromTemplate(owner: ApiObject, template: coreV1Pod.PodTemplateSpec | undefined): Pod {
  const meta = template?.metadata;
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `${owner.metadata!.name}-`.slice(0, maxGenerateNameLength),
      namespace: owner.metadata!.namespace,
      labels: { ...meta?.labels },
      annotations: { ...meta?.annotations },
      finalizers: [...(meta?.finalizers ?? [])],
      ownerReferences: [newControllerRef(owner)],
    },
    spec: template?.spec,
  });
}

/**
 * Calls `fn` `count` times in batches of 1, 2, 4, … (controller.slowStartBatch), stopping after the
 * first batch with a failure, so a systematic error (quota, admission) costs one call, not `count`.
 * Returns how many calls ran and succeeded, and the failures of the last batch.
 */
export async function slowStartBatch(
  count: number,
  initialBatchSize: number,
  fn: () => Promise<void>,
): Promise<{ attempted: number; succeeded: number; errors: unknown[] }> {
  let remaining = count;
  let attempted = 0;
  let succeeded = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    attempted += batch;
    succeeded += batch - errors.length;
    remaining -= batch;
    if (errors.length > 0) return { attempted, succeeded, errors };
  }
  return { attempted, succeeded, errors: [] };
}

/** How many times an adoption or release re-reads the pod after losing a race with another writer. */
const conflictRetries = 3;

/**
 * Makes `owner` the controller of the orphan `pod` (ControllerRefManager.AdoptPod). The merge
 * patch replaces the whole ownerReferences list, so it carries the resourceVersion it was computed
 * from; on a Conflict the pod is read again and re-checked. Returns the adopted pod, or undefined
 * when the pod went away, got another controller, stopped matching or stopped being active.
 */
export async function adoptPod(client: ApiClient, owner: ApiObject, selector: LabelSelector, pod: Pod, signal?: AbortSignal): Promise<Pod | undefined> {
  const ref = newControllerRef(owner);
  let current: Pod | undefined = pod;
  for (let attempt = 0; current; attempt++) {
    if (controllerRef(current) || !selector.matches(current.metadata?.labels) || !isPodActive(current)) return undefined;
    const refs = (current.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ref.uid);
    const patch = { metadata: { resourceVersion: current.metadata!.resourceVersion, ownerReferences: [...refs, ref].map((r) => metaV1.OwnerReference.toJSON(r)) } };
    try {
      return await client.patch(podKind, current.metadata!.namespace, current.metadata!.name, patch, { signal }) as Pod;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      if (!isConflict(err) || attempt >= conflictRetries) throw err;
      current = await getIfExists(client, current, signal);
    }
  }
  return undefined;
}

/**
 * Removes `ownerUid`'s references from `pod` (ControllerRefManager.ReleasePod), when it is still
 * controlled by that owner. A pod that is gone needs no release.
 */
export async function releasePod(client: ApiClient, ownerUid: string, pod: Pod, signal?: AbortSignal): Promise<void> {
  let current: Pod | undefined = pod;
  for (let attempt = 0; current; attempt++) {
    if (controllerRef(current)?.uid !== ownerUid) return;
    const refs = (current.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
    const patch = { metadata: { resourceVersion: current.metadata!.resourceVersion, ownerReferences: refs.map((r) => metaV1.OwnerReference.toJSON(r)) } };
    try {
      await client.patch(podKind, current.metadata!.namespace, current.metadata!.name, patch, { signal });
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if (!isConflict(err) || attempt >= conflictRetries) throw err;
      current = await getIfExists(client, current, signal);
    }
  }
}

async function getIfExists(client: ApiClient, pod: Pod, signal?: AbortSignal): Promise<Pod | undefined> {
  try {
    const fresh = (await client.get(podKind, pod.metadata!.namespace, pod.metadata!.name, { signal })) as Pod;
    // Same name, new pod: the one we meant is gone.
    return fresh.metadata?.uid === pod.metadata?.uid ? fresh : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
