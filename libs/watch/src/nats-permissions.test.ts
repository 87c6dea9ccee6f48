// The NATS authorization model: certificate subjects as users, per-role permissions, inbox isolation.
import assert from "node:assert/strict";
import { test } from "node:test";
import { certificateUser, inboxPrefix, natsPermissions, renderNatsAuthorization } from "./nats-permissions.js";

test("a certificate's user is its subject DN, most specific first, with special characters escaped", () => {
  assert.equal(certificateUser("system:node:node-1", ["system:nodes"]), "CN=system:node:node-1,O=system:nodes");
  assert.equal(certificateUser("kube-apiserver-nats-client"), "CN=kube-apiserver-nats-client");
  assert.equal(certificateUser("a,b", ["x+y"]), "CN=a\\,b,O=x\\+y");
});

test("each identity gets its own inbox prefix, which no other identity's can match", () => {
  assert.equal(inboxPrefix("system:node:node-1"), "_INBOX.system_node_node-1");
  assert.notEqual(inboxPrefix("system:node:node-1"), inboxPrefix("system:node:node-2"));
});

test("the publisher is unrestricted; a reader may not publish watch events and subscribes only to its inbox and the gap marker", () => {
  assert.equal(natsPermissions({ commonName: "kube-apiserver-nats-client", role: { kind: "publisher" } }), undefined);
  const reader = natsPermissions({ commonName: "system:kube-scheduler", role: { kind: "reader" } })!;
  assert.ok(!reader.publish.allow.some((s) => s.startsWith("kp.watch")));
  assert.ok(!reader.publish.allow.some((s) => /STREAM\.(CREATE|DELETE|UPDATE|PURGE|MSG\.GET)/.test(s)));
  assert.ok(reader.publish.allow.includes("$JS.API.DIRECT.GET.KP_WATCH.kp.watch._gap"));
  assert.deepEqual(reader.subscribe.allow, ["_INBOX.system_kube-scheduler.>", "kp.watch._gap"]);
});

test("a node may create consumers only on its own pods subject (and the gap marker)", () => {
  const node = natsPermissions({ commonName: "system:node:node-1", role: { kind: "node", node: "node-1" } })!;
  const creates = node.publish.allow.filter((s) => s.includes("CONSUMER.CREATE"));
  assert.deepEqual(creates, ["$JS.API.CONSUMER.CREATE.KP_WATCH.*.kp.watch.pods-by-node.node-1.>", "$JS.API.CONSUMER.CREATE.KP_WATCH.*.kp.watch._gap"]);
  assert.deepEqual(node.subscribe.allow, ["_INBOX.system_node_node-1.>", "kp.watch._gap"]);
});

test("the rendered block lists every user once, with quoted subjects", () => {
  const text = renderNatsAuthorization([
    { commonName: "kube-apiserver-nats-client", role: { kind: "publisher" } },
    { commonName: "system:node:node-1", organizations: ["system:nodes"], role: { kind: "node", node: "node-1" } },
  ]);
  assert.match(text, /^authorization \{\n  users = \[\n/);
  assert.match(text, /\{ user: "CN=kube-apiserver-nats-client" \}/);
  assert.match(text, /user: "CN=system:node:node-1,O=system:nodes", permissions: \{ publish: \{ allow: \[.*"\$JS\.API\.CONSUMER\.CREATE\.KP_WATCH\.\*\.kp\.watch\.pods-by-node\.node-1\.>"/);
});
