// A StatefulSet's status from its pods: ready, available, current and updated replicas and the revisions.
import { appsV1StatefulSet, type coreV1Pod } from "@kubeplane/api";
import { CONTROLLER_REVISION_HASH } from "../util/controller-history.js";
import { isPodActive, isPodAvailable, isPodReady, msUntilAvailable } from "../util/pod-util.js";
import type { SetState } from "./set-state.js";

type StatefulSetStatus = appsV1StatefulSet.StatefulSetStatus;
type Pod = coreV1Pod.Pod;

/**
 * The status for `s` (StatefulSet's updateStatefulSetStatus): replica counts by readiness, availability and
 * revision; the update revision becomes the current one once every replica runs it and is Ready. `requeueAfterMs`
 * is when the next pod becomes available.
 */
export function statefulSetStatus(s: SetState, setPods: readonly Pod[], now: Date): { status: StatefulSetStatus; requeueAfterMs?: number } {
  const minReady = s.set.spec?.minReadySeconds ?? 0;
  const active = setPods.filter(isPodActive);
  const updateName = s.update.metadata!.name;
  let currentName = s.current.metadata!.name;
  let requeueAfterMs: number | undefined;
  let ready = 0, available = 0, current = 0, updated = 0;
  for (const pod of active) {
    if (isPodReady(pod)) ready++;
    if (isPodAvailable(pod, minReady, now)) available++;
    const revision = pod.metadata?.labels[CONTROLLER_REVISION_HASH];
    if (revision === currentName) current++;
    if (revision === updateName) updated++;
    const wait = msUntilAvailable(pod, minReady, now);
    if (wait !== undefined) requeueAfterMs = Math.min(requeueAfterMs ?? wait, wait);
  }
  // The rollout is complete: the update revision becomes the current one.
  if (updated === s.replicas && ready === s.replicas && active.length === s.replicas) {
    currentName = updateName;
    current = updated;
  }
  const status = appsV1StatefulSet.StatefulSetStatus.fromPartial({
    ...s.set.status,
    observedGeneration: s.set.metadata?.generation ?? 0,
    replicas: active.length,
    readyReplicas: ready,
    availableReplicas: available,
    currentReplicas: current,
    updatedReplicas: updated,
    currentRevision: currentName,
    updateRevision: updateName,
  });
  return { status, requeueAfterMs };
}
