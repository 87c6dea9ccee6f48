// The Auditor's events: stages and omitStages, bodies by level, Secrets and tokens capped at Metadata, managed fields, panics.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import type { UserInfo } from "../authn/index.js";
import { resourceAttributes, type RequestAttributes } from "../authz/attributes.js";
import { Auditor, isSensitive } from "./auditor.js";
import type { AuditEvent } from "./event.js";
import type { AuditBackend } from "./log-backend.js";
import { createAuditMetrics } from "./metrics.js";
import { PolicyChecker, validatePolicy } from "./policy.js";

const alice: UserInfo = { username: "alice", uid: "u-1", groups: ["devs", "system:authenticated"] };

function setup(rules: unknown[], omitStages: string[] = []): { auditor: Auditor; events: AuditEvent[]; metrics: Registry } {
  const events: AuditEvent[] = [];
  const backend: AuditBackend = { processEvents: (e) => void events.push(...e), shutdown: () => Promise.resolve() };
  const metrics = new Registry();
  const policy = validatePolicy({ apiVersion: "audit.k8s.io/v1", kind: "Policy", omitStages, rules }, "test");
  return { auditor: new Auditor(new PolicyChecker(policy), backend, createAuditMetrics(metrics)), events, metrics };
}

const start = { requestURI: "/x/api/v1/namespaces/team/configmaps", sourceIPs: ["10.0.0.7"], userAgent: "test/1" };
const cm = (verb: string, extra: Partial<RequestAttributes> = {}): RequestAttributes => resourceAttributes(alice, { verb, resource: "configmaps", namespace: "team", name: "c", ...extra });

test("every stage is written unless omitted; RequestReceived has no response, only the last has bodies", () => {
  const { auditor, events } = setup([{ level: "RequestResponse" }]);
  const r = auditor.begin(start);
  r.setAttributes(cm("watch", { name: "" }));
  r.setObjectRef({ apiVersion: "v1" });
  r.setRequestObject(() => ({ kind: "WatchOptions" }));
  r.requestReceived();
  r.responseStarted();
  r.responseStarted(); // once
  r.annotate("authorization.k8s.io/decision", "allow");
  r.complete({ code: 200 }, () => ({ kind: "ConfigMapList" }));
  r.complete({ code: 500 }); // ignored: already complete
  assert.deepEqual(events.map((e) => e.stage), ["RequestReceived", "ResponseStarted", "ResponseComplete"]);
  assert.ok(events.every((e) => e.auditID === r.auditID));
  const [received, started, done] = events as [AuditEvent, AuditEvent, AuditEvent];
  assert.equal(received.responseStatus, undefined);
  assert.equal(received.requestObject, undefined);
  assert.deepEqual(started.responseStatus, { metadata: {}, code: 200 });
  assert.equal(started.responseObject, undefined);
  assert.deepEqual(done.responseObject, { kind: "ConfigMapList" });
  assert.deepEqual(done.requestObject, { kind: "WatchOptions" });
  assert.deepEqual(done.annotations, { "authorization.k8s.io/decision": "allow" });
  assert.equal(received.annotations, undefined, "annotations as they were at each stage");
  assert.deepEqual(done.user, { username: "alice", uid: "u-1", groups: ["devs", "system:authenticated"] });
  assert.deepEqual(done.objectRef, { resource: "configmaps", namespace: "team", apiVersion: "v1" });
  assert.equal(done.userAgent, "test/1");
  assert.deepEqual(done.sourceIPs, ["10.0.0.7"]);

  const omitted = setup([{ level: "Metadata", omitStages: ["ResponseStarted"] }], ["RequestReceived"]);
  const q = omitted.auditor.begin(start);
  q.setAttributes(cm("watch"));
  q.requestReceived();
  q.responseStarted();
  q.complete({ code: 200 });
  assert.deepEqual(omitted.events.map((e) => e.stage), ["ResponseComplete"]);
});

test("levels: Metadata has no bodies, Request only the request's, None no event", () => {
  const { auditor, events, metrics } = setup([{ level: "None", verbs: ["get"] }, { level: "Metadata", verbs: ["list"] }, { level: "Request" }]);
  for (const verb of ["get", "list", "update"]) {
    const r = auditor.begin(start);
    r.setAttributes(cm(verb));
    r.setRequestObject(() => ({ in: verb }));
    r.complete({ code: 200 }, () => ({ out: verb }));
  }
  assert.deepEqual(events.map((e) => [e.verb, e.level, e.requestObject, e.responseObject]), [
    ["list", "Metadata", undefined, undefined],
    ["update", "Request", { in: "update" }, undefined],
  ]);
  return metrics.getSingleMetric("apiserver_audit_level_total")!.get().then((m) => {
    assert.deepEqual(Object.fromEntries(m.values.map((v) => [v.labels["level"], v.value])), { None: 1, Metadata: 1, Request: 1 });
  });
});

test("Secrets, TokenRequests and TokenReviews never go above Metadata, and their bodies are never built", () => {
  const { auditor, events } = setup([{ level: "RequestResponse" }]);
  const cases: Partial<RequestAttributes>[] = [
    { resource: "secrets" },
    { resource: "serviceaccounts", subresource: "token" },
    { apiGroup: "authentication.k8s.io", resource: "tokenreviews" },
  ];
  for (const c of cases) {
    const r = auditor.begin(start);
    r.setAttributes(resourceAttributes(alice, { verb: "create", namespace: "team", resource: "x", ...c }));
    r.setRequestObject(() => assert.fail("a sensitive request body was built"));
    r.complete({ code: 201 }, () => assert.fail("a sensitive response body was built"));
  }
  assert.deepEqual(events.map((e) => e.level), ["Metadata", "Metadata", "Metadata"]);
  assert.ok(events.every((e) => e.requestObject === undefined && e.responseObject === undefined));
  assert.ok(!isSensitive(resourceAttributes(alice, { verb: "create", resource: "serviceaccounts" })), "a ServiceAccount itself holds no token");
  assert.ok(!isSensitive(resourceAttributes(alice, { verb: "get", apiGroup: "example.com", resource: "secrets" })), "only the core group's Secrets");
});

test("omitManagedFields drops metadata.managedFields from bodies and list items; failures carry reason and message", () => {
  const { auditor, events } = setup([{ level: "RequestResponse", omitManagedFields: true }]);
  const r = auditor.begin(start);
  r.setAttributes(cm("list", { name: "" }));
  const item = { metadata: { name: "c", managedFields: [{ manager: "kpctl" }] }, data: { k: "v" } };
  r.complete({ code: 200 }, () => ({ kind: "ConfigMapList", items: [item] }));
  assert.deepEqual(events[0]!.responseObject, { kind: "ConfigMapList", items: [{ metadata: { name: "c" }, data: { k: "v" } }] });
  assert.ok(item.metadata.managedFields, "the object itself is not changed");

  const f = auditor.begin(start);
  f.setAttributes(cm("delete"));
  f.complete({ code: 404, reason: "NotFound", message: 'configmaps "c" not found' });
  assert.deepEqual(events[1]!.responseStatus, { metadata: {}, status: "Failure", message: 'configmaps "c" not found', reason: "NotFound", code: 404 });
});

test("a panic is its own stage with code 500; an unauthenticated request has an empty user", () => {
  const { auditor, events } = setup([{ level: "Metadata" }]);
  const p = auditor.begin(start);
  p.setAttributes(cm("get"));
  p.panic(new Error("boom"));
  p.complete({ code: 200 });
  assert.deepEqual(events.map((e) => [e.stage, e.responseStatus?.code, e.responseStatus?.message]), [["Panic", 500, "APIServer panic'd: boom"]]);

  const u = auditor.begin(start);
  u.setAttributes({ ...cm("list"), user: { username: "", groups: [] } });
  u.complete({ code: 401, reason: "Unauthorized", message: "Unauthorized" });
  assert.deepEqual(events[1]!.user, {});
  assert.equal(events[1]!.responseStatus?.code, 401);
});
