// RBAC, the Node authorizer, NodeRestriction, impersonation and access reviews on a real apiserver (etcd, NATS, mutual TLS).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { isForbidden, kindFor, type ApiError } from "@kubeplane/api";
import { ApiClient, type JsonObject } from "@kubeplane/client";
import { clientTls, testPki, testPkiNow, waitFor } from "@kubeplane/testing";
import { startTestCluster, type TestCluster } from "./harness.js";

await testPki();

const ns = kindFor("v1", "Namespace")!;
const pods = kindFor("v1", "Pod")!;
const secrets = kindFor("v1", "Secret")!;
const nodes = kindFor("v1", "Node")!;
const serviceAccounts = kindFor("v1", "ServiceAccount")!;
const roleBindings = kindFor("rbac.authorization.k8s.io/v1", "RoleBinding")!;
const clusterRoles = kindFor("rbac.authorization.k8s.io/v1", "ClusterRole")!;
const ssar = kindFor("authorization.k8s.io/v1", "SelfSubjectAccessReview")!;
const ssr = kindFor("authentication.k8s.io/v1", "SelfSubjectReview")!;

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isForbidden(err), `expected Forbidden, got ${String(err)}`);
    return err as ApiError;
  }
  assert.fail("expected Forbidden, the call succeeded");
}

function pod(namespace: string, name: string, nodeName: string, secret: string): JsonObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: { nodeName, containers: [{ name: "c", image: "busybox" }], volumes: [{ name: "s", secret: { secretName: secret } }] },
  };
}

describe("authorization", () => {
  let cluster: TestCluster;
  let admin: ApiClient;
  const clients: ApiClient[] = [];
  const as = (user: string, groups: string[] = []): ApiClient => {
    const c = ApiClient.connect({ ...clientTls(), server: cluster.apiservers[0]!.addresses.grpcAddress, timeoutMs: 10_000, impersonate: { user, groups } });
    clients.push(c);
    return c;
  };
  const nodeClient = async (name: string): Promise<ApiClient> => {
    const files = await testPkiNow().node(name);
    const c = ApiClient.connect({ ...files, server: cluster.apiservers[0]!.addresses.grpcAddress, timeoutMs: 10_000 });
    clients.push(c);
    return c;
  };

  before(async () => {
    cluster = await startTestCluster();
    admin = cluster.client;
    await admin.json.create(ns, { apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } });
  });
  after(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
  });

  test("the bootstrap policy exists: cluster-admin, view aggregated, component roles", async () => {
    const view = (await admin.json.get(clusterRoles, "", "view")) as unknown as { rules: { resources: string[] }[]; aggregationRule?: unknown };
    assert.ok(view.aggregationRule, "view is aggregated");
    assert.ok(view.rules.some((r) => r.resources.includes("pods")), "view's rules include pods");
    assert.ok(!view.rules.some((r) => r.resources.includes("secrets")), "view never reads secrets");
    await admin.json.get(clusterRoles, "", "system:kube-scheduler");
  });

  test("a user without bindings is refused with Kubernetes' message naming user, verb and resource", async () => {
    const err = await refusal(as("alice").json.list(secrets, { namespace: "kube-system" }));
    assert.equal(err.code, 403);
    assert.equal(err.message, 'secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "kube-system"');
  });

  test("after a RoleBinding of view in team, alice may read pods there but not delete them", async () => {
    const alice = as("alice");
    await admin.json.create(pods, pod("team", "web", "", "none"));
    await refusal(alice.json.list(pods, { namespace: "team" }));
    await admin.json.create(roleBindings, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "alice-view", namespace: "team" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice" }],
    });
    await waitFor(async () => (await alice.json.list(pods, { namespace: "team" }).then(() => true, () => false)), { timeoutMs: 5000 });
    assert.equal((await alice.json.list(pods, { namespace: "team" })).items.length, 1);
    const err = await refusal(alice.json.delete(pods, "team", "web"));
    assert.match(err.message, /^pods "web" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "team"/);
    await refusal(alice.json.list(pods, { namespace: "default" })); // a RoleBinding is its namespace only
    await refusal(alice.json.list(secrets, { namespace: "team" })); // view never grants secrets
  });

  test("escalation prevention: a namespace admin binds only what it holds", async () => {
    const bind = (c: ApiClient, name: string, role: string, user: string) =>
      c.json.create(roleBindings, {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name, namespace: "team" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
        subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: user }],
      });
    await bind(admin, "carol-admin", "admin", "carol");
    const carol = as("carol");
    await waitFor(async () => carol.json.list(roleBindings, { namespace: "team" }).then(() => true, () => false), { timeoutMs: 5000 });
    const err = await refusal(bind(carol, "dave-root", "cluster-admin", "dave"));
    assert.match(err.message, /^rolebindings.rbac.authorization.k8s.io "dave-root" is forbidden: user "carol" .* is attempting to grant RBAC permissions not currently held/);
    await bind(carol, "dave-view", "view", "dave"); // admin holds everything view grants
  });

  test("access reviews agree with the authorizer; SelfSubjectReview names the caller", async () => {
    const review = async (c: ApiClient, verb: string, resource: string, namespace: string): Promise<boolean> => {
      const r = (await c.json.create(ssar, { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", metadata: {}, spec: { resourceAttributes: { verb, resource, namespace } } })) as unknown as { status: { allowed: boolean } };
      return r.status.allowed;
    };
    const bob = as("bob", ["devs"]);
    assert.equal(await review(bob, "list", "pods", "team"), false);
    assert.equal(await review(admin, "delete", "pods", "team"), true);
    await waitFor(async () => review(as("alice"), "list", "pods", "team"), { timeoutMs: 5000 });
    assert.equal(await review(as("alice"), "delete", "pods", "team"), false);
    await assert.rejects(admin.json.list(ssar, {}), (e: ApiError) => e.reason === "MethodNotAllowed", "reviews are create-only");
    const me = (await bob.json.create(ssr, { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview", metadata: {} })) as unknown as { status: { userInfo: { username: string; groups: string[] } } };
    assert.equal(me.status.userInfo.username, "bob");
    assert.deepEqual(me.status.userInfo.groups.sort(), ["devs", "system:authenticated"]);
  });

  test("impersonation needs the impersonate verb", async () => {
    // alice (impersonated by the admin) may not impersonate anyone further: a node's certificate holder may not impersonate either.
    const node = await nodeClient("node-1");
    const sneaky = ApiClient.connect({ ...(await testPkiNow().node("node-1")), server: cluster.apiservers[0]!.addresses.grpcAddress, impersonate: { user: "kubernetes-admin", groups: ["system:masters"] } });
    clients.push(sneaky);
    const err = await refusal(sneaky.json.list(secrets, { namespace: "kube-system" }));
    assert.match(err.message, /^users "kubernetes-admin" is forbidden: User "system:node:node-1" cannot impersonate resource "users" in API group "" at the cluster scope/);
    await refusal(node.json.list(secrets, { namespace: "kube-system" }));
  });

  test("a node reads only the secrets of pods bound to it and updates only its own Node", async () => {
    for (const name of ["s1", "s2"]) {
      await admin.json.create(secrets, { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "team" }, data: { k: Buffer.from("v").toString("base64") } });
    }
    for (const name of ["node-1", "node-2"]) await admin.json.create(nodes, { apiVersion: "v1", kind: "Node", metadata: { name } });
    await admin.json.create(pods, pod("team", "p1", "node-1", "s1"));
    await admin.json.create(pods, pod("team", "p2", "node-2", "s2"));
    const node1 = await nodeClient("node-1");
    assert.equal(((await node1.json.get(secrets, "team", "s1")) as { metadata: { name: string } }).metadata.name, "s1");
    const err = await refusal(node1.json.get(secrets, "team", "s2"));
    assert.match(err.message, /User "system:node:node-1" cannot get resource "secrets" .*no relationship found between node 'node-1' and this object/);
    // ServiceAccounts: only those its pods run as (here "default").
    await refusal(node1.json.get(serviceAccounts, "team", "builder"));
    await node1.json.get(serviceAccounts, "team", "default").catch((err: ApiError) => assert.ok(!isForbidden(err), String(err)));
    // Tokens of its pods' ServiceAccounts, bound to one of its pods (NodeRestriction): never for another node's pod.
    const e3 = await refusal(node1.createToken("team", "default", { boundPod: { name: "p2" } }));
    assert.match(e3.message, /can only create tokens bound to pods scheduled on it/);
    await refusal(node1.createToken("team", "default"));
    await node1.createToken("team", "default", { boundPod: { name: "p1" } }).catch((err: ApiError) => assert.ok(!isForbidden(err), String(err)));
    // Its own Node's status: yes; node-2's: no.
    const own = await node1.json.get(nodes, "", "node-1");
    await node1.json.updateStatus(nodes, own);
    const other = await admin.json.get(nodes, "", "node-2");
    const e2 = await refusal(node1.json.updateStatus(nodes, other));
    assert.match(e2.message, /^nodes "node-2" is forbidden: User "system:node:node-1" cannot update resource "nodes\/status"/);
    // Pods: only its own, and a list only for its node.
    await node1.json.updateStatus(pods, await node1.json.get(pods, "team", "p1"));
    await refusal(node1.json.get(pods, "team", "p2"));
    await refusal(node1.json.updateStatus(pods, await admin.json.get(pods, "team", "p2")));
    await refusal(node1.json.list(pods, {}));
    assert.deepEqual((await node1.json.list(pods, { fieldSelector: "spec.nodeName=node-1" })).items.map((p) => (p as { metadata: { name: string } }).metadata.name), ["p1"]);
  });

  test("NodeRestriction: a node cannot set labels reserved to the cluster, nor create another node", async () => {
    const node1 = await nodeClient("node-1");
    const own = (await node1.json.get(nodes, "", "node-1")) as JsonObject & { metadata: { labels?: Record<string, string> } };
    const err = await refusal(node1.json.update(nodes, { ...own, metadata: { ...own.metadata, labels: { ...own.metadata.labels, "node-role.kubernetes.io/control-plane": "" } } }));
    assert.match(err.message, /node-role\.kubernetes\.io\/control-plane/);
    await node1.json.update(nodes, { ...own, metadata: { ...own.metadata, labels: { ...own.metadata.labels, "kubernetes.io/hostname": "node-1", "example.com/rack": "r1" } } });
    await refusal(node1.json.create(nodes, { apiVersion: "v1", kind: "Node", metadata: { name: "node-9" } }));
    await refusal(node1.json.patch(nodes, "", "node-1", { metadata: { labels: { "node-restriction.kubernetes.io/x": "y" } } }));
  });
});
