// A PodDisruptionBudget's status from its pods and their controllers' scale (Kubernetes' disruption controller's getExpectedPodCount, countHealthyPods, buildDisruptedPodMap).
import type { coreV1Pod, metaV1, policyV1 } from "@kubeplane/api";
import { isPodReady } from "../util/pod-util.js";
import { formatTime, parseTime } from "../util/time.js";

type Pod = coreV1Pod.Pod;
type PodDisruptionBudget = policyV1.PodDisruptionBudget;
type PodDisruptionBudgetStatus = policyV1.PodDisruptionBudgetStatus;

/** How long an eviction recorded in status.disruptedPods waits for the pod's deletion to be seen (DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

/** What a budget's status is computed from. */
export interface BudgetInput {
  pdb: PodDisruptionBudget;
  /** The pods the budget selects. */
  pods: readonly Pod[];
  /**
   * The replicas their controllers ask for, summed over distinct controllers; a string explains
   * why it is unknown (a pod without a controller, a controller without scale). Only read when the
   * budget needs it (maxUnavailable or a percentage minAvailable).
   */
  expectedFromControllers: () => number | string;
  now: Date;
}

/** The computed status, or why it could not be (a SyncFailed condition), and when to look again. */
export type BudgetResult =
  | { status: PodDisruptionBudgetStatus; recheckAfterMs?: number }
  | { failure: string };

/** Computes the budget's status: expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed and its DisruptionAllowed condition. */
export function computeBudget({ pdb, pods, expectedFromControllers, now }: BudgetInput): BudgetResult {
  const spec = pdb.spec;
  let expected: number;
  let desired: number;
  const minAvailable = spec?.minAvailable;
  const maxUnavailable = spec?.maxUnavailable;
  if (maxUnavailable !== undefined || (minAvailable !== undefined && minAvailable.endsWith("%")) || minAvailable === undefined) {
    const scale = expectedFromControllers();
    if (typeof scale === "string") return { failure: scale };
    expected = scale;
    if (maxUnavailable !== undefined) desired = Math.max(0, expected - scaledValue(maxUnavailable, expected, true));
    else if (minAvailable !== undefined) desired = scaledValue(minAvailable, expected, true);
    else desired = expected; // neither set: no disruption allowed (maxUnavailable 0)
  } else {
    expected = pods.length;
    desired = Number(minAvailable);
  }

  const { disrupted, recheckAfterMs } = disruptedPods(pdb, pods, now);
  const healthy = pods.filter((p) => !p.metadata?.deletionTimestamp && isPodReady(p) && !(p.metadata!.name in disrupted)).length;
  const allowed = expected <= 0 ? 0 : Math.max(0, healthy - desired);
  const previous = pdb.status?.conditions.find((c) => c.type === "DisruptionAllowed");
  const condition = disruptionAllowedCondition(allowed > 0, pdb.metadata?.generation, previous, now);
  return {
    status: {
      observedGeneration: pdb.metadata?.generation,
      disruptedPods: disrupted,
      disruptionsAllowed: allowed,
      currentHealthy: healthy,
      desiredHealthy: desired,
      expectedPods: expected,
      conditions: [condition, ...(pdb.status?.conditions.filter((c) => c.type !== "DisruptionAllowed") ?? [])],
    },
    ...(recheckAfterMs === undefined ? {} : { recheckAfterMs }),
  };
}

/** The SyncFailed form of the status: nothing may be disrupted while the budget cannot be computed. */
export function failedBudgetStatus(pdb: PodDisruptionBudget, message: string, now: Date): PodDisruptionBudgetStatus {
  const previous = pdb.status?.conditions.find((c) => c.type === "DisruptionAllowed");
  const condition: metaV1.Condition = {
    type: "DisruptionAllowed",
    status: "False",
    reason: "SyncFailed",
    message,
    observedGeneration: pdb.metadata?.generation ?? 0,
    lastTransitionTime: previous?.status === "False" ? previous.lastTransitionTime : formatTime(now),
  };
  return {
    ...(pdb.status ?? { disruptedPods: {}, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, conditions: [] }),
    observedGeneration: pdb.metadata?.generation,
    disruptionsAllowed: 0,
    conditions: [condition, ...(pdb.status?.conditions.filter((c) => c.type !== "DisruptionAllowed") ?? [])],
  };
}

/** An IntOrString against `total`: an integer as is, a percentage of total rounded up (or down). */
function scaledValue(value: string, total: number, roundUp: boolean): number {
  if (!value.endsWith("%")) return Number(value);
  const exact = (Number(value.slice(0, -1)) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** Evictions not yet seen as deletions, kept for DELETION_TIMEOUT_MS; and when the next one expires. */
function disruptedPods(pdb: PodDisruptionBudget, pods: readonly Pod[], now: Date): { disrupted: Record<string, string>; recheckAfterMs?: number } {
  const byName = new Map(pods.map((p) => [p.metadata!.name, p]));
  const disrupted: Record<string, string> = {};
  let recheckAfterMs: number | undefined;
  for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
    const pod = byName.get(name);
    if (!pod || pod.metadata?.deletionTimestamp) continue; // the deletion is seen: no longer counted
    const evictedAt = parseTime(at);
    if (evictedAt === undefined) continue;
    const left = evictedAt + DELETION_TIMEOUT_MS - now.getTime();
    if (left <= 0) continue; // the eviction's delete never happened: the pod counts again
    disrupted[name] = at;
    recheckAfterMs = Math.min(recheckAfterMs ?? left, left);
  }
  return recheckAfterMs === undefined ? { disrupted } : { disrupted, recheckAfterMs };
}

function disruptionAllowedCondition(allowed: boolean, generation: number | undefined, previous: metaV1.Condition | undefined, now: Date): metaV1.Condition {
  const status = allowed ? "True" : "False";
  return {
    type: "DisruptionAllowed",
    status,
    reason: allowed ? "SufficientPods" : "InsufficientPods",
    message: "",
    observedGeneration: generation ?? 0,
    lastTransitionTime: previous?.status === status ? previous.lastTransitionTime : formatTime(now),
  };
}
