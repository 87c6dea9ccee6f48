// HorizontalPodAutoscaler validation: scale target, replica bounds and metric specs.
import { FieldPath, invalid, required, type FieldError } from "../field-errors.js";
import type { HorizontalPodAutoscaler, MetricTarget } from "../gen/kubeplane/autoscaling/v2/horizontal_pod_autoscaler.js";
import { validateEnum, validateQuantity } from "./common.js";

const spec = FieldPath.root("spec");
const METRIC_TYPES = ["Object", "Pods", "Resource", "ContainerResource", "External"] as const;

/** An HPA: scaleTargetRef kind and name, 1 ≤ minReplicas ≤ maxReplicas, each metric with its source and target. */
export function validateHpa(hpa: HorizontalPodAutoscaler): FieldError[] {
  const s = hpa.spec;
  if (!s) return [required(spec, "")];
  const errs: FieldError[] = [];
  const ref = s.scaleTargetRef;
  const rp = spec.child("scaleTargetRef");
  if (!ref) errs.push(required(rp, ""));
  else {
    if (ref.kind === "") errs.push(required(rp.child("kind"), ""));
    if (ref.name === "") errs.push(required(rp.child("name"), ""));
  }
  if (s.minReplicas !== undefined && s.minReplicas < 1) errs.push(invalid(spec.child("minReplicas"), s.minReplicas, "must be greater than or equal to 1"));
  if (s.maxReplicas < 1) errs.push(invalid(spec.child("maxReplicas"), s.maxReplicas, "must be greater than 0"));
  if (s.minReplicas !== undefined && s.maxReplicas < s.minReplicas) errs.push(invalid(spec.child("maxReplicas"), s.maxReplicas, "must be greater than or equal to `minReplicas`"));
  s.metrics.forEach((m, i) => {
    const p = spec.child("metrics").index(i);
    errs.push(...validateEnum(m.type, METRIC_TYPES, p.child("type")));
    const sources: Record<string, unknown> = { Object: m.object, Pods: m.pods, Resource: m.resource, ContainerResource: m.containerResource, External: m.external };
    const field = m.type === "Object" || m.type === "Pods" || m.type === "Resource" || m.type === "External" ? m.type.toLowerCase() : "containerResource";
    if (m.type in sources && sources[m.type] === undefined) errs.push(required(p.child(field), `must populate information for the given metric source`));
    const target = m.resource?.target ?? m.containerResource?.target ?? m.pods?.target ?? m.object?.target ?? m.external?.target;
    if (sources[m.type] !== undefined) {
      if (!target) errs.push(required(p.child(field).child("target"), "must specify a metric target"));
      else errs.push(...validateTarget(target, p.child(field).child("target")));
    }
    if (m.resource && m.resource.name === "") errs.push(required(p.child("resource").child("name"), "must specify a resource name"));
  });
  return errs;
}

function validateTarget(t: MetricTarget, path: FieldPath): FieldError[] {
  const errs = validateEnum(t.type, ["Utilization", "Value", "AverageValue"], path.child("type"));
  if (t.averageUtilization !== undefined && t.averageUtilization < 1) errs.push(invalid(path.child("averageUtilization"), t.averageUtilization, "must be greater than 0"));
  if (t.averageValue !== "") errs.push(...validateQuantity(t.averageValue, path.child("averageValue")));
  if (t.value !== "") errs.push(...validateQuantity(t.value, path.child("value")));
  if (t.type === "Utilization" && t.averageUtilization === undefined) errs.push(required(path.child("averageUtilization"), "must set averageUtilization when type is Utilization"));
  return errs;
}
