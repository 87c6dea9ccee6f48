// autoscaling/v1 HorizontalPodAutoscaler ⇄ autoscaling/v2 (the stored version), on the JSON forms, as Kubernetes converts: what v1 cannot say rides in annotations.
type Json = Record<string, unknown>;

const METRICS = "autoscaling.alpha.kubernetes.io/metrics";
const CURRENT_METRICS = "autoscaling.alpha.kubernetes.io/current-metrics";
const CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions";
const BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior";
/** The annotations v1 carries v2's other fields in (Kubernetes' names). */
export const HPA_V1_ANNOTATIONS = [METRICS, CURRENT_METRICS, CONDITIONS, BEHAVIOR] as const;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const obj = (v: unknown): Json => (isObject(v) ? v : {});
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** Parses one of our annotations; a value that is not the JSON it should be is ignored (as Kubernetes drops it). */
function fromAnnotation(annotations: Json, key: string): unknown {
  const raw = annotations[key];
  delete annotations[key];
  if (typeof raw !== "string") return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

const isCpuUtilization = (m: Json): boolean => m.type === "Resource" && obj(m.resource).name === "cpu" && obj(obj(m.resource).target).type === "Utilization";

/** A v1 HPA's JSON as v2: targetCPUUtilizationPercentage becomes a cpu Utilization metric; annotated metrics, behavior and conditions come back. */
export function hpaV1ToV2(v1: unknown): unknown {
  if (!isObject(v1)) return v1;
  const out: Json = { ...v1, apiVersion: "autoscaling/v2" };
  const metadata = isObject(v1.metadata) ? { ...v1.metadata } : undefined;
  const annotations: Json = { ...obj(metadata?.annotations) };
  const extraMetrics = list(fromAnnotation(annotations, METRICS));
  const currentExtra = list(fromAnnotation(annotations, CURRENT_METRICS));
  const conditions = fromAnnotation(annotations, CONDITIONS);
  const behavior = fromAnnotation(annotations, BEHAVIOR);
  if (metadata) {
    if (Object.keys(annotations).length || isObject(metadata.annotations)) metadata.annotations = annotations;
    out.metadata = metadata;
  }
  if (isObject(v1.spec)) {
    const { targetCPUUtilizationPercentage, ...spec } = v1.spec;
    const metrics: Json[] = [];
    if (typeof targetCPUUtilizationPercentage === "number" || typeof targetCPUUtilizationPercentage === "string") {
      metrics.push({ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: targetCPUUtilizationPercentage } } });
    } else if (targetCPUUtilizationPercentage !== undefined && targetCPUUtilizationPercentage !== null) {
      // Keep a wrong type visible to the decoder (it answers with the field path) rather than drop it.
      spec.targetCPUUtilizationPercentage = targetCPUUtilizationPercentage;
    }
    metrics.push(...extraMetrics);
    out.spec = { ...spec, metrics, ...(isObject(behavior) ? { behavior } : {}) };
  }
  if (isObject(v1.status)) {
    const { currentCPUUtilizationPercentage, ...status } = v1.status;
    const currentMetrics: Json[] = [];
    if (typeof currentCPUUtilizationPercentage === "number") {
      currentMetrics.push({ type: "Resource", resource: { name: "cpu", current: { averageUtilization: currentCPUUtilizationPercentage } } });
    }
    currentMetrics.push(...currentExtra);
    out.status = { ...status, ...(currentMetrics.length ? { currentMetrics } : {}), ...(Array.isArray(conditions) ? { conditions } : {}) };
  }
  return out;
}

/** A v2 HPA's JSON as v1: the cpu Utilization target in targetCPUUtilizationPercentage, the rest in annotations. */
export function hpaV2ToV1(v2: Json): Json {
  const out: Json = { ...v2, apiVersion: "autoscaling/v1" };
  const metadata: Json = { ...obj(v2.metadata) };
  const annotations: Json = { ...obj(metadata.annotations) };
  const spec = obj(v2.spec);
  if (isObject(v2.spec)) {
    const { metrics, behavior, ...rest } = spec;
    const all = list(metrics);
    const cpu = all.find(isCpuUtilization);
    const others = all.filter((m) => m !== cpu);
    if (others.length) annotations[METRICS] = JSON.stringify(others);
    if (isObject(behavior)) annotations[BEHAVIOR] = JSON.stringify(behavior);
    const target = cpu ? obj(obj(cpu.resource).target).averageUtilization : undefined;
    out.spec = { ...rest, ...(target !== undefined ? { targetCPUUtilizationPercentage: target } : {}) };
  }
  if (isObject(v2.status)) {
    const { currentMetrics, conditions, ...rest } = v2.status;
    const all = list(currentMetrics);
    const cpu = all.find((m) => m.type === "Resource" && obj(m.resource).name === "cpu" && obj(obj(m.resource).current).averageUtilization !== undefined);
    const others = all.filter((m) => m !== cpu);
    if (others.length) annotations[CURRENT_METRICS] = JSON.stringify(others);
    if (Array.isArray(conditions) && conditions.length) annotations[CONDITIONS] = JSON.stringify(conditions);
    const current = cpu ? obj(obj(cpu.resource).current).averageUtilization : undefined;
    out.status = { ...rest, ...(current !== undefined ? { currentCPUUtilizationPercentage: current } : {}) };
  }
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  out.metadata = metadata;
  return out;
}
