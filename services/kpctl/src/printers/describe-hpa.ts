// kubectl describe's body of a HorizontalPodAutoscaler: reference, metrics (current / target), bounds, behavior, replicas and conditions.
import type { JsonObject } from "@kubeplane/client";
import { arr, num, rec, str } from "../json-fields.js";
import type { DescribeWriter } from "./describe-writer.js";

/** One metric's "( current / target )" line, as kubectl's describer words it. */
function metricLine(spec: unknown, current: unknown): [string, string] {
  const type = str(spec, "type");
  if (type === "Resource" || type === "ContainerResource") {
    const field = type === "Resource" ? "resource" : "containerResource";
    const name = str(spec, field, "name");
    const where = type === "Resource" ? `resource ${name} on pods` : `resource ${name} of container "${str(spec, field, "container")}" on pods`;
    const target = rec(spec, field, "target");
    const now = rec(current, field, "current");
    const utilization = num(target, "averageUtilization");
    if (utilization !== undefined) {
      const cur = num(now, "averageUtilization");
      return [`${where}  (as a percentage of request):`, `${cur === undefined ? "<unknown>" : `${cur}% (${str(now, "averageValue") || "0"})`} / ${utilization}%`];
    }
    return [`${where}:`, `${str(now, "averageValue") || "<unknown>"} / ${str(target, "averageValue") || str(target, "value")}`];
  }
  const field = type === "Pods" ? "pods" : type === "Object" ? "object" : type === "External" ? "external" : "";
  const target = rec(spec, field, "target");
  const now = rec(current, field, "current");
  const label = type === "Object" ? `"${str(spec, field, "metric", "name")}" on ${str(spec, field, "describedObject", "kind")}/${str(spec, field, "describedObject", "name")}` : `"${str(spec, field, "metric", "name")}"`;
  return [`${type.toLowerCase()} metric ${label}:`, `${str(now, "averageValue") || str(now, "value") || "<unknown>"} / ${str(target, "averageValue") || str(target, "value")}`];
}

function rules(w: DescribeWriter, level: number, title: string, r: Record<string, unknown>): void {
  if (Object.keys(r).length === 0) return;
  w.line(level, `${title}:`);
  const window = num(r, "stabilizationWindowSeconds");
  if (window !== undefined) w.line(level + 1, "Stabilization Window:", `${window} seconds`);
  w.line(level + 1, "Select Policy:", str(r, "selectPolicy") || "Max");
  w.line(level + 1, "Policies:");
  for (const p of arr(r, "policies")) w.line(level + 2, `- Type: ${str(p, "type")}`, `Value: ${num(p, "value") ?? 0}`, `Period: ${num(p, "periodSeconds") ?? 0} seconds`);
}

export function describeHpa(w: DescribeWriter, hpa: JsonObject): void {
  const ref = rec(hpa, "spec", "scaleTargetRef");
  w.line(0, "Reference:", `${str(ref, "kind")}/${str(ref, "name")}`);
  const metrics = arr(hpa, "spec", "metrics");
  const current = arr(hpa, "status", "currentMetrics");
  w.line(0, "Metrics:", "( current / target )");
  metrics.forEach((m, i) => w.line(1, ...metricLine(m, current[i])));
  w.line(0, "Min replicas:", String(num(hpa, "spec", "minReplicas") ?? 1));
  w.line(0, "Max replicas:", String(num(hpa, "spec", "maxReplicas") ?? 0));
  const behavior = rec(hpa, "spec", "behavior");
  if (Object.keys(behavior).length) {
    w.line(0, "Behavior:");
    rules(w, 1, "Scale Up", rec(behavior, "scaleUp"));
    rules(w, 1, "Scale Down", rec(behavior, "scaleDown"));
  }
  w.line(0, `${str(ref, "kind")} pods:`, `${num(hpa, "status", "currentReplicas") ?? 0} current / ${num(hpa, "status", "desiredReplicas") ?? 0} desired`);
  const conditions = arr(hpa, "status", "conditions");
  if (conditions.length) {
    w.line(0, "Conditions:");
    w.line(1, "Type", "Status", "Reason", "Message");
    w.line(1, "----", "------", "------", "-------");
    for (const c of conditions) w.line(1, str(c, "type"), str(c, "status"), str(c, "reason"), str(c, "message"));
  }
}
