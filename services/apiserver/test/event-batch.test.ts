// CreateEvents on a real apiserver (etcd, NATS, mutual TLS): each event is created or refused alone, and authorized in its own namespace.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { coreV1Event, isAlreadyExists, isForbidden, isInvalid, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { clientTls, testPki, waitFor } from "@kubeplane/testing";
import { startTestCluster, type TestCluster } from "./harness.js";

await testPki();

const namespaces = kindFor("v1", "Namespace")!;
const events = kindFor("v1", "Event") as KindInfo<coreV1Event.Event>;
const roles = kindFor("rbac.authorization.k8s.io/v1", "Role")!;
const roleBindings = kindFor("rbac.authorization.k8s.io/v1", "RoleBinding")!;

function event(namespace: string, name: string, over: Partial<coreV1Event.Event> = {}): coreV1Event.Event {
  return coreV1Event.Event.fromPartial({
    apiVersion: "v1",
    kind: "Event",
    metadata: { namespace, name },
    involvedObject: { apiVersion: "v1", kind: "Pod", namespace, name: name.split(".")[0]!, uid: `uid-${name}` },
    reason: "Scheduled",
    message: `assigned ${namespace}/${name}`,
    type: "Normal",
    source: { component: "default-scheduler" },
    count: 1,
    ...over,
  });
}

describe("CreateEvents", () => {
  let cluster: TestCluster;
  let client: ApiClient;
  const clients: ApiClient[] = [];

  before(async () => {
    cluster = await startTestCluster();
    client = cluster.client;
    for (const name of ["ev", "other"]) await client.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    await client.create(events, event("ev", "dup.1"));
  });

  after(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
  });

  test("a batch with bad events stores the good ones, of several namespaces, and reports each failure on its own", async () => {
    const results = await client.createEvents([
      event("ev", "a.1"),
      event("ev", "dup.1"),
      event("ev", "bad.1", { type: "Bogus" }),
      event("other", "b.1"),
      event("missing-namespace", "c.1"),
      event("ev", "d.1", { message: "with a count", count: 3 }),
    ]);
    assert.equal(results.length, 6);
    assert.equal(results[0], undefined);
    assert.ok(isAlreadyExists(results[1]), `same name: ${String(results[1])}`);
    assert.ok(isInvalid(results[2]), `bad type: ${String(results[2])}`);
    assert.equal(results[2]!.status.details?.causes[0]?.field, "type");
    assert.equal(results[3], undefined);
    assert.ok(isNotFound(results[4]), `no such namespace: ${String(results[4])}`);
    assert.equal(results[5], undefined);

    const stored = (await client.get(events, "ev", "d.1")) as coreV1Event.Event;
    assert.deepEqual([stored.reason, stored.message, stored.count, stored.involvedObject?.uid], ["Scheduled", "with a count", 3, "uid-d.1"]);
    assert.ok(stored.metadata?.uid && stored.metadata.resourceVersion, "stored as a single create would");
    assert.equal(((await client.get(events, "other", "b.1")) as coreV1Event.Event).involvedObject?.name, "b");
    await assert.rejects(client.get(events, "ev", "bad.1"), (err) => isNotFound(err));
  });

  test("more than 128 events in one call are refused as a whole", async () => {
    const many = Array.from({ length: 129 }, (_, i) => event("ev", `many.${i}`));
    await assert.rejects(client.createEvents(many), (err) => isInvalid(err));
    await assert.rejects(client.get(events, "ev", "many.0"), (err) => isNotFound(err));
  });

  test("a user allowed to create events in one namespace may batch there, not across namespaces", async () => {
    await client.json.create(roles, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "recorder", namespace: "ev" },
      rules: [{ apiGroups: [""], resources: ["events"], verbs: ["create"] }],
    });
    await client.json.create(roleBindings, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "recorder", namespace: "ev" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "recorder" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "recorder" }],
    });
    const recorder = ApiClient.connect({ ...clientTls(), server: cluster.apiservers[0]!.addresses.grpcAddress, timeoutMs: 10_000, impersonate: { user: "recorder", groups: [] } });
    clients.push(recorder);
    // The RBAC cache follows the RoleBinding through a watch: poll until the grant shows.
    let results: Awaited<ReturnType<ApiClient["createEvents"]>> = [];
    await waitFor(async () => {
      try {
        results = await recorder.createEvents([event("ev", "r.1"), event("ev", "r.2")]);
        return true;
      } catch (err) {
        if (isForbidden(err)) return false;
        throw err;
      }
    }, { timeoutMs: 15_000, message: "the RoleBinding grants create events in ev" });
    assert.deepEqual(results, [undefined, undefined]);
    assert.equal((await client.get(events, "ev", "r.2")).metadata?.name, "r.2");
    await assert.rejects(recorder.createEvents([event("ev", "r.3"), event("other", "r.4")]), (err) => isForbidden(err));
    await assert.rejects(client.get(events, "ev", "r.3"), (err) => isNotFound(err));
  });
});
