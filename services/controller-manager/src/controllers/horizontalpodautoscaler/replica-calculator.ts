// The HPA's replica count for one resource metric (Kubernetes' ReplicaCalculator): utilization or average value over the ready pods, with missing and unready pods damped.
import { parseQuantity, type coreV1Pod } from "@kubeplane/api";

type Pod = coreV1Pod.Pod;

/** One pod's usage of the resource, summed over its containers, in thousandths (millicores; milli-bytes for memory, as Kubernetes' MilliValue). */
export interface PodMetric {
  value: number;
  /** End of the window it was measured over (ms since the epoch). */
  timestampMs: number;
  windowMs: number;
}

/** How far the usage ratio may stray from 1 before the HPA acts, per direction (--horizontal-pod-autoscaler-tolerance, behavior.*.tolerance). */
export interface Tolerances {
  scaleDown: number;
  scaleUp: number;
}

export interface ReplicaCalculatorOptions {
  tolerances: Tolerances;
  /** A pod started this recently is judged by readiness and window (--horizontal-pod-autoscaler-cpu-initialization-period, 5m). */
  cpuInitializationPeriodMs: number;
  /** A pod not ready this long after its start has never been ready (--horizontal-pod-autoscaler-initial-readiness-delay, 30s). */
  delayOfInitialReadinessStatusMs: number;
}

/** A count the metric proposes, with what status reports of it. */
export interface ResourceReplicas {
  replicas: number;
  /** Utilization target: the percentage of request over the ready pods; undefined for an average-value target. */
  utilization?: number;
  /** Average usage per pod with metrics, in thousandths. */
  rawAverage: number;
  timestampMs: number;
}

/** Why no count could be computed (the message becomes the ScalingActive=False condition's). */
export class ReplicaCalculationError extends Error {
  readonly code = "ReplicaCalculationError";
  constructor(message: string) {
    super(message);
    this.name = "ReplicaCalculationError";
  }
}

/** A quantity in thousandths, rounded up as Kubernetes' MilliValue. */
export function milliValue(quantity: string): number {
  return Number(parseQuantity(quantity).milliValue());
}

/** The tolerance band: no change while 1 - scaleDown ≤ ratio ≤ 1 + scaleUp. */
function withinTolerance(ratio: number, t: Tolerances): boolean {
  return 1 - t.scaleDown <= ratio && ratio <= 1 + t.scaleUp;
}

interface PodGroups {
  readyCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

/** Sorts pods as upstream's groupPods: deleted/failed are ignored, pending and (for cpu) not-yet-trustworthy ones unready, those without metrics missing. */
function groupPods(pods: readonly Pod[], metrics: ReadonlyMap<string, PodMetric>, resource: string, opts: ReplicaCalculatorOptions, nowMs: number): PodGroups {
  const groups: PodGroups = { readyCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? "";
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === "Failed") {
      groups.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === "Pending") {
      groups.unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      groups.missing.add(name);
      continue;
    }
    if (resource === "cpu") {
      const ready = pod.status?.conditions.find((c) => c.type === "Ready");
      const started = pod.status?.startTime ? Date.parse(pod.status.startTime) : NaN;
      let unready: boolean;
      if (!ready || Number.isNaN(started)) unready = true;
      else {
        const transition = Date.parse(ready.lastTransitionTime) || 0;
        if (started + opts.cpuInitializationPeriodMs > nowMs) {
          // Still starting: trust the sample only when ready and measured wholly after becoming ready.
          unready = ready.status === "False" || metric.timestampMs < transition + metric.windowMs;
        } else {
          // Not ready and never was since start: its usage says nothing about load.
          unready = ready.status === "False" && started + opts.delayOfInitialReadinessStatusMs > transition;
        }
      }
      if (unready) {
        groups.unready.add(name);
        continue;
      }
    }
    groups.readyCount++;
  }
  return groups;
}

/** Each pod's request of the resource (summed over its containers, or `container`'s only), in thousandths; throws when a counted container has none. */
function podRequests(pods: readonly Pod[], resource: string, container = ""): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      if (container && c.name !== container) continue;
      const request = c.resources?.requests?.[resource];
      if (request === undefined || request === "") throw new ReplicaCalculationError(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata?.name ?? ""}`);
      sum += milliValue(request);
    }
    out.set(pod.metadata?.name ?? "", sum);
  }
  return out;
}

/** Upstream's GetResourceUtilizationRatio: total usage over total request of the pods with both. */
function utilizationRatio(metrics: ReadonlyMap<string, number>, requests: ReadonlyMap<string, number>, target: number): { ratio: number; utilization: number; rawAverage: number } {
  let usage = 0;
  let requested = 0;
  let entries = 0;
  for (const [name, value] of metrics) {
    const request = requests.get(name);
    if (request === undefined) continue;
    usage += value;
    requested += request;
    entries++;
  }
  if (requested === 0) throw new ReplicaCalculationError("no metrics returned matched known pods");
  const utilization = Math.trunc((usage * 100) / requested);
  return { ratio: utilization / target, utilization, rawAverage: Math.trunc(usage / entries) };
}

/** Upstream's GetMetricUsageRatio: the average per pod over the target. */
function averageRatio(metrics: ReadonlyMap<string, number>, target: number): { ratio: number; average: number } {
  let total = 0;
  for (const v of metrics.values()) total += v;
  const average = Math.trunc(total / metrics.size);
  return { ratio: average / target, average };
}

interface Inputs {
  currentReplicas: number;
  pods: readonly Pod[];
  metrics: ReadonlyMap<string, PodMetric>;
  resource: string;
  /** ContainerResource metrics: the one container whose usage and request count; "" for the whole pod. */
  container?: string;
  nowMs: number;
  opts: ReplicaCalculatorOptions;
}

/** Shared by both target types: group, drop untrustworthy samples, compute, then damp with missing/unready pods as upstream. */
function calculate(
  input: Inputs,
  ratioOf: (values: ReadonlyMap<string, number>) => number,
  fallbackForMissing: (name: string) => number,
): { replicas: number; firstRatioValues: ReadonlyMap<string, number> } {
  const { pods, metrics, resource, nowMs, opts, currentReplicas } = input;
  if (pods.length === 0) throw new ReplicaCalculationError("no pods returned by selector while calculating replica count");
  const groups = groupPods(pods, metrics, resource, opts, nowMs);
  const values = new Map<string, number>();
  // Metrics of pods the selector no longer lists stay, as upstream: they carry no request, so a utilization ignores them.
  for (const [name, m] of metrics) if (!groups.ignored.has(name) && !groups.unready.has(name)) values.set(name, m.value);
  if (values.size === 0) throw new ReplicaCalculationError("did not receive metrics for targeted pods (pods might be unready)");
  const ratio = ratioOf(values);
  const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (withinTolerance(ratio, opts.tolerances)) return { replicas: currentReplicas, firstRatioValues: values };
    return { replicas: Math.ceil(ratio * groups.readyCount), firstRatioValues: values };
  }
  const damped = new Map(values);
  if (groups.missing.size > 0) {
    // Scale-down: missing pods count as at the target (or their request); scale-up: as idle.
    for (const name of groups.missing) damped.set(name, ratio < 1 ? fallbackForMissing(name) : 0);
  }
  if (scaleUpWithUnready) for (const name of groups.unready) damped.set(name, 0);
  const newRatio = ratioOf(damped);
  if (withinTolerance(newRatio, opts.tolerances) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) {
    return { replicas: currentReplicas, firstRatioValues: values };
  }
  const replicas = Math.ceil(newRatio * damped.size);
  // Damping must not flip the direction either.
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas)) return { replicas: currentReplicas, firstRatioValues: values };
  return { replicas, firstRatioValues: values };
}

function latestTimestamp(metrics: ReadonlyMap<string, PodMetric>): number {
  let t = 0;
  for (const m of metrics.values()) t = Math.max(t, m.timestampMs);
  return t;
}

/** Replicas for a resource Utilization target (percentage of request), as upstream's GetResourceReplicas. */
export function resourceUtilizationReplicas(input: Inputs & { targetUtilization: number }): ResourceReplicas {
  const requests = podRequests(input.pods, input.resource, input.container);
  let first: ReturnType<typeof utilizationRatio> | undefined;
  const ratioOf = (values: ReadonlyMap<string, number>): number => {
    const r = utilizationRatio(values, requests, input.targetUtilization);
    first ??= r;
    return r.ratio;
  };
  const fallback = Math.max(100, input.targetUtilization);
  const { replicas } = calculate(input, ratioOf, (name) => Math.trunc(((requests.get(name) ?? 0) * fallback) / 100));
  return { replicas, utilization: first!.utilization, rawAverage: first!.rawAverage, timestampMs: latestTimestamp(input.metrics) };
}

/** Replicas for a resource AverageValue target (thousandths per pod), as upstream's GetRawResourceReplicas. */
export function resourceAverageValueReplicas(input: Inputs & { targetAverage: number }): ResourceReplicas {
  let first: ReturnType<typeof averageRatio> | undefined;
  const ratioOf = (values: ReadonlyMap<string, number>): number => {
    const r = averageRatio(values, input.targetAverage);
    first ??= r;
    return r.ratio;
  };
  const { replicas } = calculate(input, ratioOf, () => input.targetAverage);
  return { replicas, rawAverage: first!.average, timestampMs: latestTimestamp(input.metrics) };
}
