// Unit tests of the watch subject scheme.
import assert from "node:assert/strict";
import { test } from "node:test";
import { escapeToken, nodeFilter, objectSubject, parseSubject, podsByNodeSubject, resourceFilter, unescapeToken } from "./subjects.js";

test("names with dots stay one subject token and round-trip", () => {
  assert.equal(objectSubject("services", "default", "my.svc.example"), "kp.watch.services.default.my~svc~example");
  assert.equal(unescapeToken(escapeToken("a.b.c")), "a.b.c");
  assert.deepEqual(parseSubject(objectSubject("services", "default", "my.svc")), { resource: "services", namespace: "default", name: "my.svc" });
});

test("cluster-scoped objects and unbound pods use the _ token", () => {
  assert.equal(objectSubject("nodes", "", "node-1.example"), "kp.watch.nodes._.node-1~example");
  assert.equal(podsByNodeSubject("", "default", "web-0"), "kp.watch.pods-by-node._.default.web-0");
  assert.deepEqual(parseSubject(podsByNodeSubject("n.1", "ns", "p")), { resource: "pods-by-node", node: "n.1", namespace: "ns", name: "p" });
});

test("filters select a resource, a namespace or a node", () => {
  assert.equal(resourceFilter("pods"), "kp.watch.pods.>");
  assert.equal(resourceFilter("pods", "kube-system"), "kp.watch.pods.kube-system.>");
  assert.equal(nodeFilter("worker.1"), "kp.watch.pods-by-node.worker~1.>");
  assert.equal(nodeFilter(""), "kp.watch.pods-by-node._.>");
});

test("subjects that are not object subjects do not parse", () => {
  assert.equal(parseSubject("kp.watch._gap"), undefined);
  assert.equal(parseSubject("other.subject.a.b.c"), undefined);
});
