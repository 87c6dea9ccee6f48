// kubectl describe's bodies for ResourceQuota (Resource/Used/Hard) and LimitRange (one row per type and resource).
import type { JsonObject } from "@kubeplane/client";
import { arr, rec, str } from "../json-fields.js";
import type { DescribeWriter } from "./describe-writer.js";

/** The quota's scopes, then one row per resource in spec.hard with its used and enforced amounts. */
export function describeResourceQuota(w: DescribeWriter, quota: JsonObject): void {
  const scopes = [...arr(quota, "spec", "scopes").map(String), ...arr(quota, "spec", "scopeSelector", "matchExpressions").map((e) => str(e, "scopeName"))];
  if (scopes.length) w.line(0, "Scopes:", scopes.join(", "));
  const used = rec(quota, "status", "used");
  const hard = rec(quota, "status", "hard");
  w.line(0, "Resource", "Used", "Hard");
  w.line(0, "--------", "----", "----");
  for (const resource of Object.keys(rec(quota, "spec", "hard")).sort()) {
    w.line(0, resource, String(used[resource] ?? "0"), String(hard[resource] ?? "0"));
  }
}

/** Every item as rows of Type, Resource, Min, Max, Default Request, Default Limit and Max Limit/Request Ratio ("-" when unset). */
export function describeLimitRange(w: DescribeWriter, lr: JsonObject): void {
  w.line(0, "Type", "Resource", "Min", "Max", "Default Request", "Default Limit", "Max Limit/Request Ratio");
  w.line(0, "----", "--------", "---", "---", "---------------", "-------------", "-----------------------");
  for (const item of arr(lr, "spec", "limits")) {
    const columns = ["min", "max", "defaultRequest", "default", "maxLimitRequestRatio"].map((field) => rec(item, field));
    const resources = [...new Set(columns.flatMap((c) => Object.keys(c)))].sort();
    for (const resource of resources) {
      w.line(0, str(item, "type"), resource, ...columns.map((c) => (c[resource] === undefined ? "-" : String(c[resource]))));
    }
  }
}
