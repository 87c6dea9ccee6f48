// Unit tests of field selectors: operators, escapes, canonical strings, allowed fields and syntax errors.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseFieldSelector } from "./field-selectors.js";
import { assertSelectorError } from "./selector-test-support.js";

const POD_FIELDS = ["metadata.name", "metadata.namespace", "spec.nodeName", "status.phase"];

function pod(fields: Record<string, string>): (path: string) => string | undefined {
  return (path) => fields[path];
}

test("field = and == match equal values, != matches different ones", () => {
  const running = pod({ "status.phase": "Running", "metadata.name": "p1" });
  assert.equal(parseFieldSelector("status.phase=Running").matches(running), true);
  assert.equal(parseFieldSelector("status.phase==Running").matches(running), true);
  assert.equal(parseFieldSelector("status.phase=Pending").matches(running), false);
  assert.equal(parseFieldSelector("status.phase!=Pending").matches(running), true);
  assert.equal(parseFieldSelector("status.phase!=Running").matches(running), false);
});

test("field requirements combine with AND and tolerate whitespace", () => {
  const s = parseFieldSelector(" metadata.namespace = default , status.phase != Failed ", POD_FIELDS);
  assert.deepEqual(s.requirements, [
    { field: "metadata.namespace", operator: "Equals", value: "default" },
    { field: "status.phase", operator: "NotEquals", value: "Failed" },
  ]);
  assert.equal(s.matches(pod({ "metadata.namespace": "default", "status.phase": "Running" })), true);
  assert.equal(s.matches(pod({ "metadata.namespace": "default", "status.phase": "Failed" })), false);
  assert.equal(s.matches(pod({ "metadata.namespace": "kube-system", "status.phase": "Running" })), false);
});

test("a missing field compares as the empty string", () => {
  const unscheduled = pod({});
  assert.equal(parseFieldSelector("spec.nodeName=").matches(unscheduled), true);
  assert.equal(parseFieldSelector("spec.nodeName!=").matches(unscheduled), false);
  assert.equal(parseFieldSelector("spec.nodeName!=").matches(pod({ "spec.nodeName": "n1" })), true);
  assert.equal(parseFieldSelector("spec.nodeName=n1").matches(unscheduled), false);
});

test("the empty field selector matches everything and empty terms are skipped", () => {
  const s = parseFieldSelector("");
  assert.equal(s.empty, true);
  assert.equal(s.matches(pod({})), true);
  assert.equal(s.toString(), "");
  const t = parseFieldSelector(",metadata.name=a,,");
  assert.equal(t.requirements.length, 1);
});

test("escaped commas, equals signs and backslashes in field values round-trip", () => {
  const s = parseFieldSelector("metadata.name=a\\,b\\=c\\\\d");
  assert.deepEqual(s.requirements, [{ field: "metadata.name", operator: "Equals", value: "a,b=c\\d" }]);
  assert.equal(s.matches(pod({ "metadata.name": "a,b=c\\d" })), true);
  assert.equal(s.toString(), "metadata.name=a\\,b\\=c\\\\d");
  assert.deepEqual(parseFieldSelector(s.toString()).requirements, s.requirements);
});

test("field toString is sorted and re-parses to the same selector", () => {
  const s = parseFieldSelector("status.phase!=Failed,metadata.name==x,metadata.name=a");
  assert.equal(s.toString(), "metadata.name=a,metadata.name=x,status.phase!=Failed");
  const again = parseFieldSelector(s.toString(), POD_FIELDS);
  assert.deepEqual(again.requirements, s.requirements);
  assert.equal(again.toString(), s.toString());
});

test("an unsupported field is rejected by name with its position", () => {
  const err = assertSelectorError(
    () => parseFieldSelector("metadata.name=a, spec.restartPolicy=Always", POD_FIELDS),
    '"spec.restartPolicy" is not supported',
    "metadata.name, metadata.namespace, spec.nodeName, status.phase",
    "at position 17",
  );
  assert.equal(err.kind, "field");
  assert.ok(err.message.startsWith('invalid field selector "metadata.name=a, spec.restartPolicy=Always"'));
});

test("field selector syntax errors name the problem and position", () => {
  assertSelectorError(() => parseFieldSelector("status.phase"), 'expected "=", "==" or "!=" in "status.phase"', "at position 0");
  assertSelectorError(() => parseFieldSelector("a=b, status.phase in (x)"), 'expected "=", "==" or "!="', "at position 5");
  assertSelectorError(() => parseFieldSelector("=x"), "missing field name", "at position 0");
  assertSelectorError(() => parseFieldSelector("a=b=c"), 'unescaped "=" in value', "at position 3");
  assertSelectorError(() => parseFieldSelector("a=b\\n"), 'invalid escape sequence "\\n"', "at position 3");
  assertSelectorError(() => parseFieldSelector("a=b\\"), "unfinished escape", "at position 3");
  assertSelectorError(() => parseFieldSelector("a b=c"), 'invalid field path "a b"', "at position 0");
});
