// Unit tests of class selection: which Ingresses this controller serves.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LEGACY_CLASS_ANNOTATION, servesIngress } from "./ingress-class.js";
import { ingress } from "./test-support.js";

const selection = { ingressClass: "kubeplane", watchIngressWithoutClass: false };

test("an Ingress is served when it names the class, by field or legacy annotation", () => {
  assert.equal(servesIngress(ingress("a", {}), selection), true);
  assert.equal(servesIngress(ingress("b", {}, { className: "nginx" }), selection), false);
  const legacy = ingress("c", {}, { className: "" });
  legacy.metadata!.annotations = { [LEGACY_CLASS_ANNOTATION]: "kubeplane" };
  assert.equal(servesIngress(legacy, selection), true);
});

test("an Ingress without a class is served only with watchIngressWithoutClass", () => {
  const none = ingress("d", {}, { className: "" });
  assert.equal(servesIngress(none, selection), false);
  assert.equal(servesIngress(none, { ...selection, watchIngressWithoutClass: true }), true);
});
