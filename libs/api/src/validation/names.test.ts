// Unit tests for the name validators and metadata validation.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FieldPath } from "../field-errors.js";
import { validateObject } from "./index.js";
import { dns1123SubdomainProblems, isDns1123Label, isDns1123Subdomain, isQualifiedName, isValidLabelValue } from "./names.js";
import { validateLabels } from "./object-meta.js";
import { kindInfo, manifest, pairs } from "./test-support.js";

test("DNS-1123 subdomains allow dots up to 253 characters and reject upper case with Kubernetes' message", () => {
  assert.equal(isDns1123Subdomain("example.com"), true);
  assert.equal(isDns1123Subdomain("a".repeat(253)), true);
  assert.equal(isDns1123Subdomain("a".repeat(254)), false);
  assert.deepEqual(dns1123SubdomainProblems("Foo"), [
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  ]);
});

test("DNS-1123 labels reject dots and more than 63 characters", () => {
  assert.equal(isDns1123Label("my-name"), true);
  assert.equal(isDns1123Label("a.b"), false);
  assert.equal(isDns1123Label("a".repeat(64)), false);
  assert.equal(isDns1123Label("-a"), false);
});

test("qualified names take an optional DNS prefix and a 63-character name", () => {
  assert.equal(isQualifiedName("app"), true);
  assert.equal(isQualifiedName("example.com/My_Name.1"), true);
  assert.equal(isQualifiedName("Example.com/x"), false);
  assert.equal(isQualifiedName("a/b/c"), false);
  assert.equal(isQualifiedName("/x"), false);
  assert.equal(isQualifiedName("x".repeat(64)), false);
});

test("label values may be empty but not longer than 63 or with a bad end", () => {
  assert.equal(isValidLabelValue(""), true);
  assert.equal(isValidLabelValue("v1.2_3"), true);
  assert.equal(isValidLabelValue("v-"), false);
  assert.equal(isValidLabelValue("x".repeat(64)), false);
});

test("validateLabels reports bad keys at the map and bad values at the key", () => {
  const errs = validateLabels({ "bad key": "ok", good: "bad value" }, FieldPath.root("metadata").child("labels"));
  assert.deepEqual(pairs(errs), ["metadata.labels FieldValueInvalid", "metadata.labels[good] FieldValueInvalid"]);
});

const cm = (metadata: Record<string, unknown>) => manifest({ apiVersion: "v1", kind: "ConfigMap", metadata });

test("metadata.name is required unless generateName is set", () => {
  const k = kindInfo("v1", "ConfigMap");
  assert.deepEqual(pairs(validateObject(k, cm({ namespace: "default" }))), ["metadata.name FieldValueRequired"]);
  assert.deepEqual(validateObject(k, cm({ generateName: "cfg-", namespace: "default" })), []);
});

test("namespaced kinds need a namespace and cluster-scoped kinds must not have one", () => {
  assert.deepEqual(pairs(validateObject(kindInfo("v1", "ConfigMap"), cm({ name: "a" }))), ["metadata.namespace FieldValueRequired"]);
  const ns = manifest({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a", namespace: "x" } });
  assert.deepEqual(pairs(validateObject(kindInfo("v1", "Namespace"), ns)), ["metadata.namespace FieldValueForbidden"]);
});

test("a Namespace name must be a DNS label, so a dot is invalid though other kinds allow it", () => {
  const ns = manifest({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team.a" } });
  assert.deepEqual(pairs(validateObject(kindInfo("v1", "Namespace"), ns)), ["metadata.name FieldValueInvalid"]);
  assert.deepEqual(validateObject(kindInfo("v1", "ConfigMap"), cm({ name: "team.a", namespace: "default" })), []);
});

test("annotations over 256 KiB, bad finalizers and incomplete owner references are all reported", () => {
  const obj = cm({
    name: "a",
    namespace: "default",
    annotations: { big: "x".repeat(256 * 1024) },
    finalizers: ["bad finalizer"],
    ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs" }],
  });
  assert.deepEqual(pairs(validateObject(kindInfo("v1", "ConfigMap"), obj)), [
    "metadata.annotations FieldValueTooLong",
    "metadata.finalizers FieldValueInvalid",
    "metadata.ownerReferences.uid FieldValueInvalid",
  ]);
});

test("an update may not change metadata.name, namespace or uid", () => {
  const k = kindInfo("v1", "ConfigMap");
  const old = cm({ name: "a", namespace: "default", uid: "u1" });
  const now = cm({ name: "b", namespace: "default", uid: "u2" });
  const errs = validateObject(k, now, old);
  assert.deepEqual(pairs(errs), ["metadata.name FieldValueInvalid", "metadata.uid FieldValueInvalid"]);
  assert.equal(errs[0]?.detail, "field is immutable");
});
