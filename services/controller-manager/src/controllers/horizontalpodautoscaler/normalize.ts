// From the metrics' proposal to the count the HPA applies: stabilization windows, min/max bounds and the scaling rate (behavior policies), as kube-controller-manager's HPA.
import type { autoscalingV2 } from "@kubeplane/api";

type ScalingRules = autoscalingV2.HPAScalingRules;

/** A condition the normalization sets on the HPA: AbleToScale (stabilization) and ScalingLimited (bounds). */
export interface NormalizedCondition {
  status: "True" | "False";
  reason: string;
  message: string;
}

export interface Normalized {
  replicas: number;
  ableToScale: NormalizedCondition;
  scalingLimited: NormalizedCondition;
}

interface Recommendation {
  replicas: number;
  atMs: number;
}

interface ScaleEvent {
  change: number;
  atMs: number;
  outdated: boolean;
}

/** Without behavior, one step may at most double the replicas (at least to 4): upstream's scaleUpLimitFactor and scaleUpLimitMinimum. */
export function scaleUpLimit(current: number): number {
  return Math.max(2 * current, 4);
}

/** Replicas added (or removed) by the events of the last `periodSeconds`. */
function changeInPeriod(events: readonly ScaleEvent[], periodSeconds: number, nowMs: number): number {
  const cutoff = nowMs - periodSeconds * 1000;
  return events.reduce((sum, e) => (e.atMs > cutoff ? sum + e.change : sum), 0);
}

/** The most replicas the scale-up policies allow now (selectPolicy Max: the largest; Min: the smallest; Disabled: none). */
export function scaleUpLimitWithRules(current: number, ups: readonly ScaleEvent[], downs: readonly ScaleEvent[], rules: ScalingRules, nowMs: number): number {
  if (rules.selectPolicy === "Disabled") return current;
  const pickMin = rules.selectPolicy === "Min";
  let result = pickMin ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = current - changeInPeriod(ups, p.periodSeconds, nowMs) + changeInPeriod(downs, p.periodSeconds, nowMs);
    // Percent rounds up, or a small target could never grow.
    const proposed = p.type === "Pods" ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pickMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** The fewest replicas the scale-down policies allow now (Max picks the biggest change, i.e. the smallest count). */
export function scaleDownLimitWithRules(current: number, ups: readonly ScaleEvent[], downs: readonly ScaleEvent[], rules: ScalingRules, nowMs: number): number {
  if (rules.selectPolicy === "Disabled") return current;
  const pickMin = rules.selectPolicy === "Min";
  let result = pickMin ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = current - changeInPeriod(ups, p.periodSeconds, nowMs) + changeInPeriod(downs, p.periodSeconds, nowMs);
    const proposed = p.type === "Pods" ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pickMin ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

/** Upstream's convertDesiredReplicasWithRules: min/max and the doubling limit, for HPAs without behavior. */
export function boundWithoutBehavior(current: number, desired: number, min: number, max: number): { replicas: number; reason: string; message: string } {
  const up = scaleUpLimit(current);
  const [maxAllowed, reason, message] =
    max > up
      ? [up, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"]
      : [max, "TooManyReplicas", "the desired replica count is more than the maximum replica count"];
  if (desired < min) return { replicas: min, reason: "TooFewReplicas", message: "the desired replica count is less than the minimum replica count" };
  if (desired > maxAllowed) return { replicas: maxAllowed, reason, message };
  return { replicas: desired, reason: "DesiredWithinRange", message: "the desired count is within the acceptable range" };
}

const READY: NormalizedCondition = { status: "True", reason: "ReadyForNewScale", message: "recommended size matches current size" };
const limited = (limitedNow: boolean, reason: string, message: string): NormalizedCondition => ({ status: limitedNow ? "True" : "False", reason, message });

/**
 * The per-HPA memory of the controller: recent recommendations (stabilization windows) and recent
 * scale events (rate policies). It lives only in memory, as upstream's: a restarted controller-manager
 * starts from the current scale as its first recommendation. Keys are "namespace/name". Not shared
 * between workers for one key (the work queue never hands one key to two workers).
 */
export class ScaleHistory {
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly ups = new Map<string, ScaleEvent[]>();
  private readonly downs = new Map<string, ScaleEvent[]>();

  /** @param downscaleStabilizationMs --horizontal-pod-autoscaler-downscale-stabilization (default 5m). */
  constructor(private readonly downscaleStabilizationMs: number) {}

  /** The first reconcile of an HPA counts the current scale as a recommendation (upstream's recordInitialRecommendation). */
  recordInitial(key: string, current: number, nowMs: number): void {
    if (!this.recommendations.has(key)) this.recommendations.set(key, [{ replicas: current, atMs: nowMs }]);
  }

  forget(key: string): void {
    this.recommendations.delete(key);
    this.ups.delete(key);
    this.downs.delete(key);
  }

  /** Replaces the oldest recommendation outside every window (or appends). */
  private record(key: string, replicas: number, nowMs: number, stale: (r: Recommendation) => boolean): void {
    const list = this.recommendations.get(key) ?? [];
    let index = -1;
    list.forEach((r, i) => {
      if (stale(r)) index = i;
    });
    if (index >= 0) list[index] = { replicas, atMs: nowMs };
    else list.push({ replicas, atMs: nowMs });
    this.recommendations.set(key, list);
  }

  /** No behavior: the highest recommendation of the downscale stabilization window, then min/max and the doubling limit. */
  normalize(key: string, current: number, desired: number, min: number, max: number, nowMs: number): Normalized {
    const cutoff = nowMs - this.downscaleStabilizationMs;
    let stabilized = desired;
    for (const r of this.recommendations.get(key) ?? []) if (r.atMs >= cutoff && r.replicas > stabilized) stabilized = r.replicas;
    this.record(key, desired, nowMs, (r) => r.atMs < cutoff);
    const ableToScale =
      stabilized !== desired
        ? { status: "True" as const, reason: "ScaleDownStabilized", message: "recent recommendations were higher than current one, applying the highest recent recommendation" }
        : READY;
    const bounded = boundWithoutBehavior(current, stabilized, min, max);
    return { replicas: bounded.replicas, ableToScale, scalingLimited: limited(bounded.replicas !== stabilized, bounded.reason, bounded.message) };
  }

  /**
   * With behavior: stabilize between the lowest recommendation of the scale-up window and the highest
   * of the scale-down window, then limit by the direction's policies over their periods and min/max.
   * A scaleDown without stabilizationWindowSeconds uses the controller's downscale stabilization.
   */
  normalizeWithBehavior(key: string, behavior: autoscalingV2.HorizontalPodAutoscalerBehavior, current: number, desired: number, min: number, max: number, nowMs: number): Normalized {
    const upRules = behavior.scaleUp ?? { policies: [], stabilizationWindowSeconds: 0, selectPolicy: "Max" };
    const downRules = behavior.scaleDown ?? { policies: [], selectPolicy: "Max" };
    const upCutoff = nowMs - (upRules.stabilizationWindowSeconds ?? 0) * 1000;
    const downCutoff = nowMs - (downRules.stabilizationWindowSeconds !== undefined ? downRules.stabilizationWindowSeconds * 1000 : this.downscaleStabilizationMs);
    let upRecommendation = desired;
    let downRecommendation = desired;
    for (const r of this.recommendations.get(key) ?? []) {
      if (r.atMs > upCutoff) upRecommendation = Math.min(r.replicas, upRecommendation);
      if (r.atMs > downCutoff) downRecommendation = Math.max(r.replicas, downRecommendation);
    }
    const stabilized = Math.min(Math.max(current, upRecommendation), downRecommendation);
    this.record(key, desired, nowMs, (r) => r.atMs < upCutoff && r.atMs < downCutoff);
    const ableToScale =
      stabilized === desired
        ? READY
        : desired >= current
          ? { status: "True" as const, reason: "ScaleUpStabilized", message: "recent recommendations were lower than current one, applying the lowest recent recommendation" }
          : { status: "True" as const, reason: "ScaleDownStabilized", message: "recent recommendations were higher than current one, applying the highest recent recommendation" };
    const ups = this.ups.get(key) ?? [];
    const downs = this.downs.get(key) ?? [];
    let replicas = stabilized;
    let reason = "DesiredWithinRange";
    let message = "the desired count is within the acceptable range";
    if (stabilized > current) {
      const limit = Math.max(scaleUpLimitWithRules(current, ups, downs, upRules, nowMs), current);
      const [maxAllowed, r, m] =
        max > limit
          ? [limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"]
          : [max, "TooManyReplicas", "the desired replica count is more than the maximum replica count"];
      if (stabilized > maxAllowed) [replicas, reason, message] = [maxAllowed, r, m];
    } else if (stabilized < current) {
      const limit = Math.min(scaleDownLimitWithRules(current, ups, downs, downRules, nowMs), current);
      const [minAllowed, r, m] =
        min < limit
          ? [limit, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate"]
          : [min, "TooFewReplicas", "the desired replica count is less than the minimum replica count"];
      if (stabilized < minAllowed) [replicas, reason, message] = [minAllowed, r, m];
    }
    return { replicas, ableToScale, scalingLimited: limited(replicas !== stabilized, reason, message) };
  }

  /** Records a rescale for the rate policies (only HPAs with behavior use them), reusing an event older than the longest period. */
  recordScale(key: string, behavior: autoscalingV2.HorizontalPodAutoscalerBehavior | undefined, from: number, to: number, nowMs: number): void {
    if (!behavior) return;
    const up = to > from;
    const rules = up ? behavior.scaleUp : behavior.scaleDown;
    const longest = Math.max(0, ...(rules?.policies ?? []).map((p) => p.periodSeconds));
    const map = up ? this.ups : this.downs;
    const events = map.get(key) ?? [];
    let index = -1;
    events.forEach((e, i) => {
      if (e.atMs < nowMs - longest * 1000) e.outdated = true;
      if (e.outdated) index = i;
    });
    const event = { change: Math.abs(to - from), atMs: nowMs, outdated: false };
    if (index >= 0) events[index] = event;
    else events.push(event);
    map.set(key, events);
  }
}
