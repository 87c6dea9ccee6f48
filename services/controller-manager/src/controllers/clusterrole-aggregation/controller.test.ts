// The aggregated rules of a ClusterRole: the union of the selected roles' rules, de-duplicated, itself excluded.
import assert from "node:assert/strict";
import { test } from "node:test";
import { rbacV1 } from "@kubeplane/api";
import { aggregatedRules } from "./controller.js";

const role = (name: string, labels: Record<string, string>, resources: string[], aggregateFrom?: string): rbacV1.ClusterRole =>
  rbacV1.ClusterRole.fromPartial({
    metadata: { name, labels },
    rules: resources.map((r) => ({ verbs: ["get"], apiGroups: [""], resources: [r] })),
    ...(aggregateFrom ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [aggregateFrom]: "true" } }] } } : {}),
  });

test("an aggregated role gets the rules of the roles its selectors match, once each", () => {
  const view = role("view", { "agg-edit": "true" }, ["stale"], "agg-view");
  const a = role("a", { "agg-view": "true" }, ["pods", "services"]);
  const b = role("b", { "agg-view": "true" }, ["pods", "configmaps"]);
  const other = role("other", {}, ["secrets"]);
  const rules = aggregatedRules(view, [view, a, b, other]);
  assert.deepEqual(rules.map((r) => r.resources[0]), ["pods", "services", "configmaps"]);
  assert.deepEqual(aggregatedRules(role("empty", {}, [], "nothing-has-this"), [a, b]), []);
});
