// The audit policy: validation names the rule and field; matching follows kube-apiserver's rules (first match wins).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import type { UserInfo } from "../authn/index.js";
import { nonResourceAttributes, resourceAttributes, type RequestAttributes } from "../authz/attributes.js";
import { AuditPolicyError, PolicyChecker, parsePolicy, validatePolicy } from "./policy.js";

const alice: UserInfo = { username: "alice", groups: ["devs", "system:authenticated"] };
const node: UserInfo = { username: "system:node:n1", groups: ["system:nodes", "system:authenticated"] };

function res(user: UserInfo, verb: string, resource: string, extra: Partial<RequestAttributes> = {}): RequestAttributes {
  return resourceAttributes(user, { verb, resource, ...extra });
}

function checker(rules: unknown[], extra: Record<string, unknown> = {}): PolicyChecker {
  return new PolicyChecker(validatePolicy({ apiVersion: "audit.k8s.io/v1", kind: "Policy", rules, ...extra }, "test"));
}

test("a YAML policy parses; the first matching rule decides, no match is None", () => {
  const policy = parsePolicy(
    `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: ["system:kube-proxy"]
    verbs: ["watch"]
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "configmaps"]
  - level: Request
    verbs: ["create", "update", "patch", "delete"]
`,
    "inline",
  );
  const c = new PolicyChecker(policy);
  assert.equal(c.decide(res(alice, "create", "secrets", { namespace: "a" })).level, "Metadata", "secrets rule comes before writes");
  assert.equal(c.decide(res(alice, "create", "pods", { namespace: "a" })).level, "Request");
  assert.equal(c.decide(res(alice, "get", "pods", { namespace: "a" })).level, "None", "nothing matched");
  assert.equal(c.decide(res({ username: "system:kube-proxy", groups: [] }, "watch", "services")).level, "None");
  assert.ok(c.decide(res(alice, "create", "pods")).omitStages.has("RequestReceived"), "the policy's omitStages apply to every rule");
});

test("users, userGroups, verbs and namespaces must all match", () => {
  const c = checker([{ level: "RequestResponse", userGroups: ["devs"], verbs: ["delete"], namespaces: ["team"] }, { level: "Metadata" }]);
  assert.equal(c.decide(res(alice, "delete", "pods", { namespace: "team" })).level, "RequestResponse");
  assert.equal(c.decide(res(alice, "delete", "pods", { namespace: "other" })).level, "Metadata");
  assert.equal(c.decide(res(alice, "get", "pods", { namespace: "team" })).level, "Metadata");
  assert.equal(c.decide(res(node, "delete", "pods", { namespace: "team" })).level, "Metadata");
  // A namespaces rule never matches a non-resource request, and "" is how cluster-scoped objects match.
  assert.equal(checker([{ level: "Request", namespaces: [""] }]).decide(res(alice, "get", "nodes")).level, "Request");
  assert.equal(checker([{ level: "Request", namespaces: [""] }]).decide(nonResourceAttributes(alice, "get", "/version")).level, "None");
});

test("resources: subresources, */sub, res/*, resourceNames and the group", () => {
  const c = checker([
    { level: "None", resources: [{ group: "", resources: ["pods/log"] }] },
    { level: "Request", resources: [{ group: "", resources: ["*/status"] }] },
    { level: "RequestResponse", resources: [{ group: "apps", resources: ["deployments/*"] }] },
    { level: "Metadata", resources: [{ group: "", resources: ["configmaps"], resourceNames: ["kube-root-ca.crt"] }] },
    { level: "Request", resources: [{ group: "rbac.authorization.k8s.io" }] },
  ]);
  assert.equal(c.decide(res(alice, "get", "pods", { subresource: "log", namespace: "a", name: "p" })).level, "None");
  assert.equal(c.decide(res(alice, "get", "pods", { namespace: "a", name: "p" })).level, "None", "no rule names pods itself");
  assert.equal(c.decide(res(alice, "update", "nodes", { subresource: "status", name: "n" })).level, "Request");
  assert.equal(c.decide(res(alice, "update", "deployments", { apiGroup: "apps", subresource: "scale", name: "d" })).level, "RequestResponse");
  assert.equal(c.decide(res(alice, "update", "deployments", { apiGroup: "apps", name: "d" })).level, "RequestResponse", "deployments/* is the resource and its subresources (as kube-apiserver)");
  assert.equal(c.decide(res(alice, "get", "configmaps", { namespace: "a", name: "kube-root-ca.crt" })).level, "Metadata");
  assert.equal(c.decide(res(alice, "get", "configmaps", { namespace: "a", name: "other" })).level, "None");
  assert.equal(c.decide(res(alice, "create", "roles", { apiGroup: "rbac.authorization.k8s.io" })).level, "Request", "a group without resources is all of it");
  assert.equal(c.decide(res(alice, "create", "pods", { apiGroup: "apps" })).level, "None", "group must match");
});

test("nonResourceURLs: exact, trailing wildcard, *; never a resource request", () => {
  const c = checker([{ level: "None", nonResourceURLs: ["/healthz*", "/version"] }, { level: "Metadata", nonResourceURLs: ["*"] }, { level: "Request" }]);
  assert.equal(c.decide(nonResourceAttributes(alice, "get", "/healthz/etcd")).level, "None");
  assert.equal(c.decide(nonResourceAttributes(alice, "get", "/version")).level, "None");
  assert.equal(c.decide(nonResourceAttributes(alice, "get", "/grpc/nodeListImages")).level, "Metadata");
  assert.equal(c.decide(res(alice, "get", "pods")).level, "Request");
});

test("omitStages union and omitManagedFields override", () => {
  const c = checker(
    [
      { level: "Metadata", verbs: ["watch"], omitStages: ["ResponseStarted"], omitManagedFields: false },
      { level: "Request" },
    ],
    { omitStages: ["RequestReceived"], omitManagedFields: true },
  );
  const watch = c.decide(res(alice, "watch", "pods"));
  assert.deepEqual([...watch.omitStages].sort(), ["RequestReceived", "ResponseStarted"]);
  assert.equal(watch.omitManagedFields, false);
  assert.equal(c.decide(res(alice, "get", "pods")).omitManagedFields, true);
});

test("validation names each rule and field", () => {
  const bad = () =>
    validatePolicy(
      {
        apiVersion: "audit.k8s.io/v1",
        kind: "Policy",
        rules: [
          { level: "Metadata" },
          { level: "Everything" },
          { users: ["a"] },
          { level: "None", nonResourceURLs: ["/api*/x", "healthz"], resources: [{ group: "" }] },
          { level: "None", resources: [{ group: "apps/v1", resourceNames: ["x"] }] },
          { level: "None", omitStages: ["Done"], userGroup: ["typo"] },
        ],
      },
      "/etc/audit.yaml",
    );
  assert.throws(bad, (err: unknown) => {
    assert.ok(err instanceof AuditPolicyError);
    const m = err.message;
    assert.match(m, /^invalid audit policy \/etc\/audit\.yaml: /);
    assert.match(m, /rules\[1\]\.level: Unsupported value: "Everything": supported values: "None", "Metadata", "Request", "RequestResponse"/);
    assert.match(m, /rules\[2\]\.level: Required value/);
    assert.match(m, /rules\[3\]\.nonResourceURLs\[0\]: Invalid value: "\/api\*\/x": non-resource URL wildcards '\*' must be the final character/);
    assert.match(m, /rules\[3\]\.nonResourceURLs\[1\]: Invalid value: "healthz": non-resource URL rules must begin with a '\/'/);
    assert.match(m, /rules\[3\]\.nonResourceURLs: Invalid value: .*rules cannot apply to both regular resources and non-resource URLs/);
    assert.match(m, /rules\[4\]\.resources\[0\]\.group: Invalid value: "apps\/v1"/);
    assert.match(m, /rules\[4\]\.resources\[0\]\.resourceNames: Invalid value: .*requires at least one resource/);
    assert.match(m, /rules\[5\]\.omitStages\[0\]: Invalid value: "Done": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic/);
    assert.match(m, /rules\[5\]\.userGroup: Unknown field/);
    assert.ok(!/rules\[0\]/.test(m), "a good rule is not mentioned");
    return true;
  });
});

test("a policy needs apiVersion, kind and at least one rule; bad YAML is refused", () => {
  assert.throws(() => parsePolicy("apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules: []\n", "p"), /apiVersion: Unsupported value: "audit.k8s.io\/v1beta1".*rules: Required value: a policy needs at least one rule/);
  assert.throws(() => parsePolicy("rules: [\n", "p"), /invalid audit policy p: not valid YAML or JSON/);
  assert.throws(() => parsePolicy('{"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"None","verbs":"get"}]}', "p"), /rules\[0\]\.verbs: Invalid value: "get": must be a list of strings/);
});

test("the shipped default policy (make up's file, the kubeplane chart's values) is valid, the same in both, and sensible", () => {
  const root = new URL("../../../../", import.meta.url);
  const local = parsePolicy(readFileSync(new URL("infra/local/audit-policy.yaml", root), "utf8"), "infra/local/audit-policy.yaml");
  const values = parseYaml(readFileSync(new URL("charts/kubeplane/values.yaml", root), "utf8")) as { audit: { policy: unknown } };
  assert.deepEqual(validatePolicy(values.audit.policy, "charts/kubeplane/values.yaml"), local);
  const c = new PolicyChecker(local);
  const lease = { apiGroup: "coordination.k8s.io", namespace: "kube-node-lease", name: "n1" };
  assert.equal(c.decide(res(node, "update", "leases", lease)).level, "None", "kubelet heartbeats");
  assert.equal(c.decide(res(alice, "update", "leases", lease)).level, "Request", "anyone else's lease write");
  assert.equal(c.decide(res(alice, "create", "events", { namespace: "a" })).level, "None");
  assert.equal(c.decide(res(alice, "create", "secrets", { namespace: "a" })).level, "Metadata");
  assert.equal(c.decide(res(alice, "update", "configmaps", { namespace: "a" })).level, "Metadata");
  assert.equal(c.decide(res(alice, "create", "serviceaccounts", { namespace: "a", subresource: "token", name: "default" })).level, "Metadata");
  assert.equal(c.decide(res(alice, "create", "pods", { namespace: "a" })).level, "Request");
  assert.equal(c.decide(res(alice, "delete", "deployments", { apiGroup: "apps", namespace: "a", name: "d" })).level, "Request");
  assert.equal(c.decide(res(alice, "list", "pods", { namespace: "a" })).level, "Metadata");
  assert.equal(c.decide(res(alice, "get", "pods", { namespace: "a", name: "p", subresource: "log" })).level, "Metadata");
  assert.equal(c.decide(nonResourceAttributes(alice, "get", "/version")).level, "None");
});
