// RBAC rule and subject matching, the Forbidden wording, and the node label rules, as Kubernetes defines them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { rbacV1 } from "@kubeplane/api";
import { nonResourceAttributes, resourceAttributes } from "./attributes.js";
import { forbiddenError } from "./forbidden.js";
import { nodeMaySetLabel } from "../admission/plugins/node-restriction.js";
import { ruleAllows, subjectMatches } from "./rbac-rules.js";

const alice = { username: "alice", groups: ["devs", "system:authenticated"] };
const rule = (r: Partial<rbacV1.PolicyRule>): rbacV1.PolicyRule => rbacV1.PolicyRule.fromPartial(r);

test("a rule covers verbs, groups, resources, subresources and names; * matches all", () => {
  const pods = resourceAttributes(alice, { verb: "get", resource: "pods", namespace: "team", name: "web" });
  assert.ok(ruleAllows(rule({ verbs: ["get"], apiGroups: [""], resources: ["pods"] }), pods));
  assert.ok(ruleAllows(rule({ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }), pods));
  assert.ok(!ruleAllows(rule({ verbs: ["list"], apiGroups: [""], resources: ["pods"] }), pods));
  assert.ok(!ruleAllows(rule({ verbs: ["get"], apiGroups: ["apps"], resources: ["pods"] }), pods));
  assert.ok(ruleAllows(rule({ verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["web"] }), pods));
  assert.ok(!ruleAllows(rule({ verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["db"] }), pods));
  // resourceNames never match a request without a name (list, create).
  assert.ok(!ruleAllows(rule({ verbs: ["list"], apiGroups: [""], resources: ["pods"], resourceNames: ["web"] }), { ...pods, verb: "list", name: "" }));
  const status = { ...pods, verb: "update", subresource: "status" };
  assert.ok(!ruleAllows(rule({ verbs: ["update"], apiGroups: [""], resources: ["pods"] }), status), "pods does not cover pods/status");
  assert.ok(ruleAllows(rule({ verbs: ["update"], apiGroups: [""], resources: ["pods/status"] }), status));
  assert.ok(ruleAllows(rule({ verbs: ["update"], apiGroups: ["*"], resources: ["*/status"] }), status));
});

test("non-resource rules match paths, with a trailing * as a prefix", () => {
  const version = nonResourceAttributes(alice, "get", "/version");
  assert.ok(ruleAllows(rule({ verbs: ["get"], nonResourceUrls: ["/version"] }), version));
  assert.ok(ruleAllows(rule({ verbs: ["get"], nonResourceUrls: ["/ver*"] }), version));
  assert.ok(!ruleAllows(rule({ verbs: ["get"], nonResourceUrls: ["/healthz"] }), version));
  assert.ok(!ruleAllows(rule({ verbs: ["get"], apiGroups: ["*"], resources: ["*"] }), version), "resource rules never grant paths");
});

test("subjects: users by name, groups by membership, service accounts by their username", () => {
  const g = (kind: string, name: string, namespace = "") => rbacV1.Subject.fromPartial({ kind, name, namespace });
  assert.ok(subjectMatches(g("User", "alice"), alice, ""));
  assert.ok(subjectMatches(g("Group", "devs"), alice, ""));
  assert.ok(!subjectMatches(g("Group", "ops"), alice, ""));
  const sa = { username: "system:serviceaccount:team:builder", groups: [] };
  assert.ok(subjectMatches(g("ServiceAccount", "builder"), sa, "team"), "a RoleBinding's namespace is the default");
  assert.ok(!subjectMatches(g("ServiceAccount", "builder", "other"), sa, "team"));
});

test("Forbidden is worded as kube-apiserver's", () => {
  const list = resourceAttributes(alice, { verb: "list", resource: "pods", namespace: "team" });
  assert.equal(forbiddenError(list, "").message, 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "team"');
  const scale = resourceAttributes(alice, { verb: "update", apiGroup: "apps", resource: "deployments", subresource: "scale", namespace: "team", name: "web" });
  assert.equal(forbiddenError(scale, "").message, 'deployments.apps "web" is forbidden: User "alice" cannot update resource "deployments/scale" in API group "apps" in the namespace "team"');
  const nodes = resourceAttributes(alice, { verb: "delete", resource: "nodes", name: "n1" });
  assert.equal(forbiddenError(nodes, "no").message, 'nodes "n1" is forbidden: User "alice" cannot delete resource "nodes" in API group "" at the cluster scope: no');
  assert.equal(forbiddenError(list, "").code, 403);
});

test("a node may set its own well-known labels and any outside kubernetes.io, never node-restriction or role labels", () => {
  for (const ok of ["kubernetes.io/hostname", "topology.kubernetes.io/zone", "node.kubernetes.io/exclude-from-external-load-balancers", "kubelet.kubernetes.io/x", "example.com/rack", "plain"]) {
    assert.ok(nodeMaySetLabel(ok), ok);
  }
  for (const no of ["node-role.kubernetes.io/control-plane", "node-restriction.kubernetes.io/pool", "foo.k8s.io/bar", "kubernetes.io/other"]) assert.ok(!nodeMaySetLabel(no), no);
});
