// BindPods on a real apiserver (etcd, NATS, mutual TLS): each binding succeeds or fails alone, and the call is authorized like pods/binding.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { isConflict, isForbidden, isInvalid, isNotFound, kindFor, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { clientTls, testPki, waitFor } from "@kubeplane/testing";
import { startTestCluster, type TestCluster } from "./harness.js";

await testPki();

const namespaces = kindFor("v1", "Namespace")!;
const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const roles = kindFor("rbac.authorization.k8s.io/v1", "Role")!;
const roleBindings = kindFor("rbac.authorization.k8s.io/v1", "RoleBinding")!;

describe("BindPods", () => {
  let cluster: TestCluster;
  let client: ApiClient;
  const clients: ApiClient[] = [];
  const podIn = async (namespace: string, name: string): Promise<coreV1Pod.Pod> => (await client.get(pods, namespace, name)) as coreV1Pod.Pod;

  before(async () => {
    cluster = await startTestCluster();
    client = cluster.client;
    for (const name of ["batch", "other"]) await client.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    for (const name of ["a", "b", "c", "taken"]) {
      await client.json.create(pods, { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "batch" }, spec: { containers: [{ name: "c", image: "busybox" }] } });
    }
    await client.bind("batch", "taken", "node-0");
  });

  after(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
  });

  test("a batch with bad bindings binds the good ones and reports each failure on its own", async () => {
    const a = await client.get(pods, "batch", "a");
    const results = await client.bindPods([
      { namespace: "batch", pod: "a", node: "node-1", uid: a.metadata!.uid },
      { namespace: "batch", pod: "taken", node: "node-2" },
      { namespace: "batch", pod: "missing", node: "node-1" },
      { namespace: "batch", pod: "c", node: "" },
      { namespace: "batch", pod: "b", node: "node-2", uid: "not-its-uid" },
      { namespace: "other", pod: "ghost", node: "node-1" },
    ]);
    assert.equal(results.length, 6);
    assert.equal(results[0], undefined);
    assert.ok(isConflict(results[1]), `already bound: ${String(results[1])}`);
    assert.match(results[1]!.message, /already assigned to node "node-0"/);
    assert.ok(isNotFound(results[2]), `missing pod: ${String(results[2])}`);
    assert.ok(isInvalid(results[3]), `empty node name: ${String(results[3])}`);
    assert.equal(results[3]!.status.details?.causes[0]?.field, "target.name");
    assert.ok(isConflict(results[4]), `UID precondition: ${String(results[4])}`);
    assert.ok(isNotFound(results[5]), `pod of another namespace: ${String(results[5])}`);

    assert.equal((await podIn("batch", "a")).spec?.nodeName, "node-1");
    assert.equal((await podIn("batch", "a")).status?.conditions.find((c) => c.type === "PodScheduled")?.status, "True");
    assert.equal((await podIn("batch", "taken")).spec?.nodeName, "node-0");
    assert.equal((await podIn("batch", "b")).spec?.nodeName, "");
    assert.equal((await podIn("batch", "c")).spec?.nodeName, "");
  });

  test("more than 128 bindings in one call are refused as a whole", async () => {
    const many = Array.from({ length: 129 }, (_, i) => ({ namespace: "batch", pod: `p${i}`, node: "node-1" }));
    await assert.rejects(client.bindPods(many), (err) => isInvalid(err));
  });

  test("a user allowed pods/binding in one namespace may batch there, not across namespaces", async () => {
    await client.json.create(roles, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "binder", namespace: "batch" },
      rules: [{ apiGroups: [""], resources: ["pods/binding"], verbs: ["create"] }],
    });
    await client.json.create(roleBindings, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "binder", namespace: "batch" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "binder" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "binder" }],
    });
    const binder = ApiClient.connect({ ...clientTls(), server: cluster.apiservers[0]!.addresses.grpcAddress, timeoutMs: 10_000, impersonate: { user: "binder", groups: [] } });
    clients.push(binder);
    // The RBAC cache follows the RoleBinding through a watch: poll until the grant shows.
    let results: Awaited<ReturnType<ApiClient["bindPods"]>> = [];
    await waitFor(async () => {
      try {
        results = await binder.bindPods([{ namespace: "batch", pod: "c", node: "node-3" }]);
        return true;
      } catch (err) {
        if (isForbidden(err)) return false;
        throw err;
      }
    }, { timeoutMs: 15_000, message: "the RoleBinding grants pods/binding in batch" });
    assert.deepEqual(results, [undefined]);
    assert.equal((await podIn("batch", "c")).spec?.nodeName, "node-3");
    await assert.rejects(binder.bindPods([{ namespace: "batch", pod: "b", node: "node-3" }, { namespace: "other", pod: "ghost", node: "node-3" }]), (err) => isForbidden(err));
    assert.equal((await podIn("batch", "b")).spec?.nodeName, "");
  });
});
