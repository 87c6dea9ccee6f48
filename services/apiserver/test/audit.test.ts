// The audit log through a real apiserver (etcd, NATS, mutual TLS): who did what, with which outcome; Secrets never above Metadata.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isForbidden, kindFor } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { clientTls, testPki, waitFor } from "@kubeplane/testing";
import type { AuditEvent } from "../src/audit/index.js";
import { startTestCluster, type TestCluster } from "./harness.js";

const pki = await testPki();

const namespaces = kindFor("v1", "Namespace")!;
const configMaps = kindFor("v1", "ConfigMap")!;
const secrets = kindFor("v1", "Secret")!;
const pods = kindFor("v1", "Pod")!;
const roleBindings = kindFor("rbac.authorization.k8s.io/v1", "RoleBinding")!;

// RequestResponse for everything (but leases, the apiserver's own chatter): Secrets must still stay at Metadata.
const POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    resources: [{ group: "coordination.k8s.io", resources: ["leases"] }]
  - level: RequestResponse
`;
const SECRET_VALUE = "hunter2-audit-secret-value";

describe("audit log", () => {
  let cluster: TestCluster;
  let dir: string;
  let logPath: string;
  let alice: ApiClient;
  const clients: ApiClient[] = [];

  const events = async (): Promise<AuditEvent[]> =>
    (await readFile(logPath, "utf8").catch(() => ""))
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent);
  /** The events that match, once there are `count` of them. */
  const eventually = (what: string, match: (e: AuditEvent) => boolean, count = 1): Promise<AuditEvent[]> =>
    waitFor(
      async () => {
        const found = (await events()).filter(match);
        return found.length >= count ? found : undefined;
      },
      { message: `audit events: ${what}` },
    );
  const connect = (opts: Partial<Parameters<typeof ApiClient.connect>[0]>): ApiClient => {
    const c = ApiClient.connect({ server: cluster.apiservers[0]!.addresses.grpcAddress, timeoutMs: 10_000, ...opts });
    clients.push(c);
    return c;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "kp-audit-it-"));
    logPath = join(dir, "logs", "audit.log");
    await writeFile(join(dir, "policy.yaml"), POLICY);
    cluster = await startTestCluster({ config: { auditPolicyFile: join(dir, "policy.yaml"), auditLogPath: logPath } });
    await pki.pki.issue({ name: "audit-test-alice", commonName: "alice", organizations: ["audit-devs"], usages: ["client"] });
    const files = pki.files("audit-test-alice");
    alice = connect({ ...files, userAgent: "audit-test/1.0" });
    const admin = cluster.client;
    await admin.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: "audit" } });
    await admin.json.create(roleBindings, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "alice-edit", namespace: "audit" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice" }],
    });
  });
  after(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("a create, update and delete by a named user each appear with user, verb, resource, namespace, name and code", async () => {
    await waitFor(() => alice.json.list(configMaps, { namespace: "audit" }), { message: "alice's RoleBinding in effect" });
    const cm = await alice.json.create(configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm1", namespace: "audit" }, data: { k: "v1" } });
    await alice.json.update(configMaps, { ...cm, data: { k: "v2" } });
    await alice.json.delete(configMaps, "audit", "cm1");

    const byAlice = (verb: string) => (e: AuditEvent) => e.user.username === "alice" && e.verb === verb && e.objectRef?.resource === "configmaps" && e.objectRef.name === "cm1";
    const [created] = await eventually("alice's create", byAlice("create"));
    const [updated] = await eventually("alice's update", byAlice("update"));
    const [deleted] = await eventually("alice's delete", byAlice("delete"));
    for (const [e, code] of [[created!, 201], [updated!, 200], [deleted!, 200]] as const) {
      assert.equal(e.kind, "Event");
      assert.equal(e.apiVersion, "audit.k8s.io/v1");
      assert.equal(e.stage, "ResponseComplete");
      assert.equal(e.level, "RequestResponse");
      assert.match(e.auditID, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.deepEqual(e.objectRef, { resource: "configmaps", namespace: "audit", name: "cm1", apiVersion: "v1" });
      assert.equal(e.responseStatus?.code, code);
      assert.deepEqual(e.user.groups, ["audit-devs", "system:authenticated"]);
      assert.equal(e.sourceIPs?.[0], "127.0.0.1");
      assert.match(e.userAgent ?? "", /^audit-test\/1\.0/);
      assert.equal(e.annotations?.["authorization.k8s.io/decision"], "allow");
      assert.match(e.annotations?.["authorization.k8s.io/reason"] ?? "", /RBAC: allowed by RoleBinding "alice-edit/);
      assert.match(e.requestReceivedTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.ok(e.stageTimestamp >= e.requestReceivedTimestamp);
    }
    assert.equal(created!.requestURI, "/kubeplane.apiserver.v1.ApiServerService/Create/api/v1/namespaces/audit/configmaps");
    assert.deepEqual((created!.requestObject as { data: unknown }).data, { k: "v1" }, "the request body at RequestResponse");
    assert.deepEqual((updated!.responseObject as { data: unknown }).data, { k: "v2" }, "the response body at RequestResponse");
    assert.equal((deleted!.requestObject as { kind: string }).kind, "DeleteOptions");
  });

  test("a Secret create appears at Metadata level only, without its data, though the policy says RequestResponse", async () => {
    await alice.json.create(secrets, { apiVersion: "v1", kind: "Secret", metadata: { name: "s1", namespace: "audit" }, stringData: { password: SECRET_VALUE } });
    await alice.json.get(secrets, "audit", "s1");
    const [created] = await eventually("the Secret create", (e) => e.verb === "create" && e.objectRef?.resource === "secrets" && e.objectRef.name === "s1");
    assert.equal(created!.level, "Metadata");
    assert.equal(created!.responseStatus?.code, 201);
    assert.equal(created!.requestObject, undefined);
    assert.equal(created!.responseObject, undefined);
    const [read] = await eventually("the Secret get", (e) => e.verb === "get" && e.objectRef?.resource === "secrets" && e.objectRef.name === "s1");
    assert.equal(read!.level, "Metadata");
    const text = await readFile(logPath, "utf8");
    assert.ok(!text.includes(SECRET_VALUE) && !text.includes(Buffer.from(SECRET_VALUE).toString("base64")), "the value is nowhere in the log");
  });

  test("refusals are audited: Forbidden with 403 and the decision, Unauthorized with 401, impersonation with both users", async () => {
    await assert.rejects(alice.json.list(secrets, { namespace: "kube-system" }), isForbidden);
    const [forbidden] = await eventually("alice's forbidden list", (e) => e.user.username === "alice" && e.verb === "list" && e.objectRef?.namespace === "kube-system");
    assert.equal(forbidden!.responseStatus?.code, 403);
    assert.equal(forbidden!.responseStatus?.reason, "Forbidden");
    assert.match(forbidden!.responseStatus?.message ?? "", /User "alice" cannot list resource "secrets"/);
    assert.equal(forbidden!.annotations?.["authorization.k8s.io/decision"], "forbid");

    const stranger = connect({ caFile: clientTls().caFile, token: "not-a-token" });
    await assert.rejects(stranger.json.list(pods, { namespace: "audit" }), (err: { code?: number }) => err.code === 401);
    const [unauthorized] = await eventually("the unauthenticated list", (e) => e.responseStatus?.code === 401);
    assert.deepEqual(unauthorized!.user, {});
    assert.equal(unauthorized!.verb, "list");

    const asBob = connect({ ...clientTls(), impersonate: { user: "bob" } });
    await assert.rejects(asBob.json.get(pods, "audit", "nope"), isForbidden);
    const [impersonated] = await eventually("the impersonated get", (e) => e.impersonatedUser?.username === "bob");
    assert.equal(impersonated!.user.username, "kubernetes-admin");
    assert.equal(impersonated!.responseStatus?.code, 403);
  });

  test("admission's audit annotations land in the event: PodSecurity's audit mode", async () => {
    const admin = cluster.client;
    await admin.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: "audit-pss", labels: { "pod-security.kubernetes.io/audit": "restricted" } } });
    await admin.json.create(pods, { apiVersion: "v1", kind: "Pod", metadata: { name: "loose", namespace: "audit-pss" }, spec: { automountServiceAccountToken: false, containers: [{ name: "c", image: "busybox" }] } });
    const [created] = await eventually("the pod create", (e) => e.verb === "create" && e.objectRef?.resource === "pods" && e.objectRef.name === "loose");
    assert.match(created!.annotations?.["pod-security.kubernetes.io/audit-violations"] ?? "", /^would violate PodSecurity "restricted:latest": /);
    assert.equal(created!.annotations?.["authorization.k8s.io/decision"], "allow");
  });

  test("a watch has ResponseStarted and ResponseComplete under one auditID; a clean stop writes what is buffered", async () => {
    await alice.json.create(configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "watched", namespace: "audit" } });
    const controller = new AbortController();
    for await (const ev of alice.json.watch(configMaps, { namespace: "audit", signal: controller.signal })) {
      if (ev.type === "ADDED") break;
    }
    const [started] = await eventually("the watch's ResponseStarted", (e) => e.verb === "watch" && e.stage === "ResponseStarted" && e.user.username === "alice");
    assert.match(started!.requestURI, /\/Watch\/api\/v1\/namespaces\/audit\/configmaps\?watch=true$/);
    await eventually("the watch's ResponseComplete", (e) => e.auditID === started!.auditID && e.stage === "ResponseComplete");

    await alice.json.get(configMaps, "audit", "watched");
    await cluster.apiservers[0]!.stop();
    const last = (await events()).filter((e) => e.verb === "get" && e.objectRef?.name === "watched");
    assert.equal(last.length, 1, "the last request before SIGTERM is in the log once the apiserver stopped");
  });
});
