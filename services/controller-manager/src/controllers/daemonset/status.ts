// A DaemonSet's status from where its pods run: scheduled, misscheduled, ready, available and updated counts.
import { appsV1DaemonSet } from "@kubeplane/api";
import { CONTROLLER_REVISION_HASH } from "../util/controller-history.js";
import { isPodAvailable, isPodReady, msUntilAvailable } from "../util/pod-util.js";
import type { NodePlan } from "./node-plan.js";

type DaemonSet = appsV1DaemonSet.DaemonSet;
type DaemonSetStatus = appsV1DaemonSet.DaemonSetStatus;

/**
 * The DaemonSet's status from its node plans (updateDaemonSetStatus): desired, current, misscheduled, ready,
 * available and updated counts. `requeueAfterMs` is when the next pod becomes available.
 */
export function daemonSetStatus(ds: DaemonSet, plans: readonly NodePlan[], hash: string, now: Date): { status: DaemonSetStatus; requeueAfterMs?: number } {
  const minReady = ds.spec?.minReadySeconds ?? 0;
  let desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
  let requeueAfterMs: number | undefined;
  for (const { eligibility, pod } of plans) {
    if (eligibility.shouldRun) desired++;
    if (!pod) continue;
    if (!eligibility.shouldRun) {
      misscheduled++;
      continue;
    }
    current++;
    if (pod.metadata?.labels[CONTROLLER_REVISION_HASH] === hash) updated++;
    if (isPodReady(pod)) ready++;
    if (isPodAvailable(pod, minReady, now)) available++;
    const wait = msUntilAvailable(pod, minReady, now);
    if (wait !== undefined) requeueAfterMs = Math.min(requeueAfterMs ?? wait, wait);
  }
  const status = appsV1DaemonSet.DaemonSetStatus.fromPartial({
    ...ds.status,
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    numberAvailable: available,
    numberUnavailable: Math.max(0, desired - available),
    updatedNumberScheduled: updated,
    observedGeneration: ds.metadata?.generation ?? 0,
  });
  return { status, requeueAfterMs };
}
