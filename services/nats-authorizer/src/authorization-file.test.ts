// The rendered authorization file: static users then nodes by name, deterministic, node users only from Nodes, each user once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { renderAuthorizationFile } from "./authorization-file.js";

const statics = [
  { commonName: "kube-apiserver-nats-client" },
  { commonName: "system:kube-scheduler" },
  { commonName: "system:node:node-1", organizations: ["system:nodes"] },
  { commonName: "kube-apiserver-kubelet-client", organizations: ["system:masters"] },
];

const users = (text: string): string[] => [...text.matchAll(/user: "([^"]+)"/g)].map((m) => m[1]!);

test("static users first, then one user per Node sorted by name; the same input renders the same bytes", () => {
  const text = renderAuthorizationFile(statics, ["node-b", "node-a", "node-b"]);
  assert.deepEqual(users(text), ["CN=kube-apiserver-nats-client", "CN=system:kube-scheduler", "CN=system:node:node-a,O=system:nodes", "CN=system:node:node-b,O=system:nodes"]);
  assert.equal(renderAuthorizationFile(statics, ["node-a", "node-b"]), text);
  assert.match(text, /^# Rendered by the nats-authorizer/);
});

test("a node in the static file gets no user unless its Node exists; certificates that never use NATS get none", () => {
  assert.ok(!users(renderAuthorizationFile(statics, [])).some((u) => u.includes("node-1") || u.includes("kubelet-client")));
  const withNode = users(renderAuthorizationFile(statics, ["node-1"]));
  assert.equal(withNode.filter((u) => u === "CN=system:node:node-1,O=system:nodes").length, 1);
});

test("a node's user may create consumers only on its own pods subject", () => {
  const text = renderAuthorizationFile([], ["node-a"]);
  assert.match(text, /"\$JS\.API\.CONSUMER\.CREATE\.KP_WATCH\.\*\.kp\.watch\.pods-by-node\.node-a\.>"/);
  assert.doesNotMatch(text, /CONSUMER\.CREATE\.KP_WATCH"/);
});
