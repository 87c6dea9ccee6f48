// The bootstrap policy's aggregated roles: view, edit and admin hold what the aggregation controller would give them, metrics.k8s.io reads included.
import assert from "node:assert/strict";
import { test } from "node:test";
import { rbacV1 } from "@kubeplane/api";
import { AGGREGATE_TO, bootstrapClusterRoles } from "./bootstrap-policy.js";
import { ruleAllows } from "./rbac-rules.js";
import type { RequestAttributes } from "./attributes.js";

const roles = new Map(bootstrapClusterRoles().map((r) => [r.metadata!.name, r]));

/** What the clusterrole-aggregation controller writes: the rules of the roles carrying the label, by role name. */
function aggregated(target: "view" | "edit" | "admin"): unknown {
  const sources = [...roles.values()]
    .filter((r) => r.metadata!.name !== target && r.metadata!.labels[AGGREGATE_TO(target)] === "true")
    .sort((a, b) => (a.metadata!.name < b.metadata!.name ? -1 : 1));
  return sources.flatMap((r) => r.rules).map((r) => rbacV1.PolicyRule.toJSON(r));
}

const read = (verb: string, resource: string, namespace = "team"): RequestAttributes => ({
  user: { username: "u", groups: [] },
  verb,
  resourceRequest: true,
  apiGroup: "metrics.k8s.io",
  resource,
  subresource: "",
  namespace,
  name: "",
  path: "",
});

test("view, edit and admin are written as their aggregation (so a cluster without a controller-manager has them)", () => {
  for (const name of ["view", "edit", "admin"] as const) {
    assert.deepEqual(roles.get(name)!.rules.map((r) => rbacV1.PolicyRule.toJSON(r)), aggregated(name), name);
  }
});

test("view, edit and admin may read metrics.k8s.io pods and nodes (system:aggregated-metrics-reader); nobody writes them", () => {
  for (const name of ["view", "edit", "admin"]) {
    const rules = roles.get(name)!.rules;
    for (const [verb, resource] of [["get", "pods"], ["list", "pods"], ["list", "nodes"]]) assert.ok(rules.some((r) => ruleAllows(r, read(verb!, resource!))), `${name} ${verb} ${resource}`);
    assert.ok(!rules.some((r) => ruleAllows(r, read("create", "pods"))), `${name} create`);
  }
  assert.ok(roles.get("system:aggregated-metrics-reader"));
});

test("NetworkPolicy: view reads it, edit writes it, kube-proxy (system:node-proxier) watches it and the pods and namespaces it selects", () => {
  const on = (verb: string, apiGroup: string, resource: string): RequestAttributes => ({ ...read(verb, resource), apiGroup });
  const allows = (role: string, attrs: RequestAttributes): boolean => roles.get(role)!.rules.some((r) => ruleAllows(r, attrs));
  assert.ok(allows("view", on("list", "networking.k8s.io", "networkpolicies")));
  assert.ok(!allows("view", on("create", "networking.k8s.io", "networkpolicies")));
  assert.ok(allows("edit", on("create", "networking.k8s.io", "networkpolicies")));
  for (const [group, resource] of [["networking.k8s.io", "networkpolicies"], ["", "pods"], ["", "namespaces"]] as const) {
    assert.ok(allows("system:node-proxier", on("watch", group, resource)), `node-proxier watch ${resource}`);
  }
  assert.ok(!allows("system:node-proxier", on("update", "networking.k8s.io", "networkpolicies")));
});
