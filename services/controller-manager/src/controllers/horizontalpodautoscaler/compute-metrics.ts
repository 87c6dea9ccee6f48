// One reconcile's metric step (upstream's computeReplicasForMetrics): each metric's proposal and status, the largest proposal, and the condition to set.
import { quantityFromMillis, type autoscalingV2, type coreV1Pod } from "@kubeplane/api";
import type { ResourceMetricsSource } from "./metrics-source.js";
import { milliValue, resourceAverageValueReplicas, resourceUtilizationReplicas, type ReplicaCalculatorOptions } from "./replica-calculator.js";

type MetricSpec = autoscalingV2.MetricSpec;
type MetricStatus = autoscalingV2.MetricStatus;

/** A condition and, for failures, the Warning Event upstream records with it. */
export interface MetricsCondition {
  status: "True" | "False";
  reason: string;
  message: string;
}

export interface MetricsOutcome {
  /** The largest proposal; undefined when no metric gave one (or some failed and the rest would scale down). */
  replicas: number | undefined;
  /** "cpu resource utilization (percentage of request)", … of the largest proposal. */
  metricName: string;
  /** One per spec metric, in order; an empty status for a metric that failed. */
  statuses: MetricStatus[];
  /** ScalingActive. */
  condition: MetricsCondition;
  /** Warning Events to record (reason, message), as upstream records for each failing metric. */
  warnings: { reason: string; message: string }[];
  /** The error the reconcile reports when metrics failed (FailedComputeMetricsReplicas). */
  error?: string;
}

export interface ComputeInput {
  namespace: string;
  metrics: readonly MetricSpec[];
  /** The target scale's spec.replicas. */
  currentReplicas: number;
  /** The target scale's status.selector (string form). */
  selector: string;
  /** The cached pods matching the selector. */
  pods: readonly coreV1Pod.Pod[];
  source: ResourceMetricsSource;
  options: ReplicaCalculatorOptions;
  nowMs: number;
  signal?: AbortSignal;
}

const emptyStatus = (): MetricStatus => ({ type: "" });
const milliQuantity = (milli: number): string => quantityFromMillis(milli).toString();

/** The failure reason of a metric type, as upstream names them. */
function failureReason(type: string): string {
  switch (type) {
    case "Pods":
      return "FailedGetPodsMetric";
    case "Object":
      return "FailedGetObjectMetric";
    case "External":
      return "FailedGetExternalMetric";
    case "ContainerResource":
      return "FailedGetContainerResourceMetric";
    case "Resource":
      return "FailedGetResourceMetric";
    default:
      return "InvalidMetricSourceType";
  }
}

/** One Resource or ContainerResource metric: its proposal, status and name; throws with upstream's wording on failure. */
async function resourceMetric(spec: MetricSpec, input: ComputeInput): Promise<{ replicas: number; status: MetricStatus; name: string }> {
  const source = spec.type === "ContainerResource" ? spec.containerResource : spec.resource;
  if (!source?.target) throw new Error("invalid resource metric source: no target");
  const resource = source.name;
  const container = spec.type === "ContainerResource" ? (spec.containerResource?.container ?? "") : "";
  const status = (current: autoscalingV2.MetricValueStatus): MetricStatus =>
    container ? { type: "ContainerResource", containerResource: { name: resource, container, current } } : { type: "Resource", resource: { name: resource, current } };
  let usage;
  try {
    usage = await input.source.podUsage(input.namespace, input.selector, resource, input.signal, container);
  } catch (err) {
    const what = source.target.averageValue ? "usage" : "utilization";
    throw new Error(`failed to get ${resource} ${what}: unable to get metrics for resource ${resource}: ${(err as Error).message}`, { cause: err });
  }
  const common = { currentReplicas: input.currentReplicas, pods: input.pods, metrics: usage, resource, container, nowMs: input.nowMs, opts: input.options };
  const target = source.target;
  if (target.averageValue) {
    let r;
    try {
      r = resourceAverageValueReplicas({ ...common, targetAverage: milliValue(target.averageValue) });
    } catch (err) {
      throw new Error(`failed to get ${resource} usage: ${(err as Error).message}`, { cause: err });
    }
    return {
      replicas: r.replicas,
      name: container ? `${resource} container resource` : `${resource} resource`,
      status: status({ value: "", averageValue: milliQuantity(r.rawAverage) }),
    };
  }
  if (target.averageUtilization === undefined) throw new Error("invalid resource metric source: neither an average utilization target nor an average value (usage) target was set");
  let r;
  try {
    r = resourceUtilizationReplicas({ ...common, targetUtilization: target.averageUtilization });
  } catch (err) {
    throw new Error(`failed to get ${resource} utilization: ${(err as Error).message}`, { cause: err });
  }
  return {
    replicas: r.replicas,
    name: `${resource} ${container ? "container resource" : "resource"} utilization (percentage of request)`,
    status: status({ value: "", averageValue: milliQuantity(r.rawAverage), averageUtilization: r.utilization }),
  };
}

/** Every metric's proposal; the HPA follows the largest, as upstream. */
export async function computeReplicasForMetrics(input: ComputeInput): Promise<MetricsOutcome> {
  const statuses: MetricStatus[] = input.metrics.map(emptyStatus);
  const warnings: MetricsOutcome["warnings"] = [];
  let replicas: number | undefined;
  let metricName = "";
  let invalid = 0;
  let firstFailure: { reason: string; message: string } | undefined;
  for (const [i, spec] of input.metrics.entries()) {
    try {
      if (spec.type !== "Resource" && spec.type !== "ContainerResource") {
        const what = spec.type === "External" ? "external" : spec.type === "Pods" || spec.type === "Object" ? "custom" : undefined;
        throw new Error(what ? `unable to get metric: the ${what} metrics API is not served by this cluster` : `unknown metric source type "${spec.type}"`);
      }
      const r = await resourceMetric(spec, input);
      statuses[i] = r.status;
      if (replicas === undefined || r.replicas > replicas) {
        replicas = r.replicas;
        metricName = r.name;
      }
    } catch (err) {
      const reason = failureReason(spec.type);
      const message = (err as Error).message;
      warnings.push({ reason, message });
      invalid++;
      firstFailure ??= { reason, message };
    }
  }
  if (firstFailure && (invalid >= input.metrics.length || (replicas ?? 0) < input.currentReplicas)) {
    return {
      replicas: undefined,
      metricName: "",
      statuses,
      warnings,
      condition: { status: "False", reason: firstFailure.reason, message: `the HPA was unable to compute the replica count: ${firstFailure.message}` },
      error: `invalid metrics (${invalid} invalid out of ${input.metrics.length}), first error is: ${firstFailure.message}`,
    };
  }
  return {
    replicas,
    metricName,
    statuses,
    warnings,
    condition: { status: "True", reason: "ValidMetricFound", message: `the HPA was able to successfully calculate a replica count from ${metricName}` },
    ...(firstFailure ? { error: `invalid metrics (${invalid} invalid out of ${input.metrics.length}), first error is: ${firstFailure.message}` } : {}),
  };
}
