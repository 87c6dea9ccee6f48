// Unit tests of label selectors: operators, validation, errors with positions, canonical strings, the object form.
import assert from "node:assert/strict";
import { test } from "node:test";
import { labelSelectorFromObject, parseLabelSelector } from "./label-selectors.js";
import { assertSelectorError } from "./selector-test-support.js";

// --- label selector operators ---------------------------------------------------------------------

test("= and == match only objects whose label has exactly that value", () => {
  for (const text of ["app=web", "app==web", " app = web "]) {
    const s = parseLabelSelector(text);
    assert.equal(s.matches({ app: "web" }), true, text);
    assert.equal(s.matches({ app: "db" }), false, text);
    assert.equal(s.matches({ other: "web" }), false, text);
    assert.equal(s.matches(undefined), false, text);
  }
});

test("= with nothing after it requires the label to be present and empty", () => {
  const s = parseLabelSelector("app=");
  assert.equal(s.matches({ app: "" }), true);
  assert.equal(s.matches({ app: "web" }), false);
  assert.equal(s.matches({}), false);
  assert.deepEqual(s.requirements, [{ key: "app", operator: "Equals", values: [""] }]);
});

test("!= matches objects without the key and objects with a different value", () => {
  const s = parseLabelSelector("tier!=frontend");
  assert.equal(s.matches({ tier: "backend" }), true);
  assert.equal(s.matches({}), true);
  assert.equal(s.matches(undefined), true);
  assert.equal(s.matches({ tier: "frontend" }), false);
});

test("in matches any listed value and requires the key", () => {
  const s = parseLabelSelector("env in (prod, staging)");
  assert.equal(s.matches({ env: "prod" }), true);
  assert.equal(s.matches({ env: "staging" }), true);
  assert.equal(s.matches({ env: "dev" }), false);
  assert.equal(s.matches({}), false);
  const one = parseLabelSelector("env in (prod)");
  assert.equal(one.matches({ env: "prod" }), true);
  assert.equal(one.matches({ env: "dev" }), false);
});

test("notin matches objects without the key", () => {
  const s = parseLabelSelector("env notin (prod,staging)");
  assert.equal(s.matches({}), true);
  assert.equal(s.matches(undefined), true);
  assert.equal(s.matches({ env: "dev" }), true);
  assert.equal(s.matches({ env: "prod" }), false);
  assert.equal(s.matches({ env: "staging" }), false);
});

test("in accepts empty values between commas", () => {
  const s = parseLabelSelector("a in (,b)");
  assert.deepEqual(s.requirements[0]?.values, ["", "b"]);
  assert.equal(s.matches({ a: "" }), true);
  assert.equal(s.matches({ a: "b" }), true);
  assert.equal(s.matches({ a: "c" }), false);
});

test("a bare key matches objects that have the label with any value", () => {
  const s = parseLabelSelector("gpu");
  assert.equal(s.matches({ gpu: "" }), true);
  assert.equal(s.matches({ gpu: "a100" }), true);
  assert.equal(s.matches({}), false);
  assert.equal(s.matches(undefined), false);
});

test("!key matches only objects without the label", () => {
  const s = parseLabelSelector("!gpu");
  assert.equal(s.matches({}), true);
  assert.equal(s.matches(undefined), true);
  assert.equal(s.matches({ gpu: "" }), false);
  assert.equal(s.matches({ cpu: "x" }), true);
});

test("label keys that are Object.prototype members are looked up as own properties only", () => {
  assert.equal(parseLabelSelector("constructor").matches({}), false);
  assert.equal(parseLabelSelector("!toString").matches({}), true);
  assert.equal(parseLabelSelector("constructor!=x").matches({}), true);
  assert.equal(parseLabelSelector("constructor=x").matches({ constructor: "x" }), true);
  const bare = Object.assign(Object.create(null) as Record<string, string>, { app: "web" });
  assert.equal(parseLabelSelector("app=web").matches(bare), true);
});

test("comma-separated requirements must all hold", () => {
  const s = parseLabelSelector("app=web, env in (prod,staging),!canary,tier!=cache, team");
  assert.equal(s.requirements.length, 5);
  assert.equal(s.matches({ app: "web", env: "prod", team: "a" }), true);
  assert.equal(s.matches({ app: "web", env: "prod", team: "a", tier: "front" }), true);
  assert.equal(s.matches({ app: "web", env: "prod" }), false, "team missing");
  assert.equal(s.matches({ app: "web", env: "prod", team: "a", canary: "true" }), false, "canary present");
  assert.equal(s.matches({ app: "web", env: "dev", team: "a" }), false, "env not in set");
  assert.equal(s.matches({ app: "web", env: "prod", team: "a", tier: "cache" }), false, "tier excluded");
  assert.equal(s.matches({ app: "db", env: "prod", team: "a" }), false, "app differs");
});

test("the empty selector matches everything", () => {
  for (const text of ["", "   "]) {
    const s = parseLabelSelector(text);
    assert.equal(s.empty, true);
    assert.equal(s.selectsNothing, false);
    assert.deepEqual(s.requirements, []);
    assert.equal(s.matches(undefined), true);
    assert.equal(s.matches({ a: "b" }), true);
    assert.equal(s.toString(), "");
  }
  assert.equal(parseLabelSelector("a").empty, false);
});

test("prefixed keys and the full value alphabet are accepted", () => {
  const s = parseLabelSelector("app.kubernetes.io/name=my_App-1.2,example.com/x in (A,b_c,d-e,f.g)");
  assert.equal(s.matches({ "app.kubernetes.io/name": "my_App-1.2", "example.com/x": "b_c" }), true);
  const long = `${"a".repeat(63)}=${"b".repeat(63)}`;
  assert.equal(parseLabelSelector(long).matches({ ["a".repeat(63)]: "b".repeat(63) }), true);
  assert.doesNotThrow(() => parseLabelSelector(`${"p".repeat(253)}/n`));
});

// --- label selector parse errors ------------------------------------------------------------------

test("an unclosed value list reports the missing parenthesis at the end", () => {
  const err = assertSelectorError(() => parseLabelSelector("a in (b"), 'invalid label selector "a in (b": missing ")" at position 7');
  assert.equal(err.position, 7);
  assert.equal(err.input, "a in (b");
  assert.equal(err.kind, "label");
  assertSelectorError(() => parseLabelSelector("a in (b,"), 'missing ")"', "at position 8");
});

test("in without a parenthesis or with an empty list is rejected", () => {
  assertSelectorError(() => parseLabelSelector("a in b"), 'missing "(" after "in"', "at position 5");
  assertSelectorError(() => parseLabelSelector("a notin"), 'missing "(" after "notin"', "end of selector", "at position 7");
  assertSelectorError(() => parseLabelSelector("a in ()"), '"in" needs at least one value', "at position 6");
});

test("a key followed by something that is not an operator is rejected", () => {
  assertSelectorError(() => parseLabelSelector("a b"), 'expected operator', 'found "b"', "at position 2");
  assertSelectorError(() => parseLabelSelector("a>1"), 'operator ">" is not supported', "at position 1");
  assertSelectorError(() => parseLabelSelector("a (b)"), 'found "("', "at position 2");
});

test("requirements must be separated by commas and none may be empty", () => {
  assertSelectorError(() => parseLabelSelector("a=b c=d"), 'expected "," or end of selector, found "c"', "at position 4");
  assertSelectorError(() => parseLabelSelector("a=b,"), 'missing requirement after ","', "at position 4");
  assertSelectorError(() => parseLabelSelector("a,,b"), 'missing requirement after ","', "at position 2");
  assertSelectorError(() => parseLabelSelector(",a"), 'expected label key, found ","', "at position 0");
  assertSelectorError(() => parseLabelSelector("=b"), 'expected label key, found "="', "at position 0");
  assertSelectorError(() => parseLabelSelector("!"), "missing label key", "at position 1");
});

test("!key takes no operator", () => {
  assertSelectorError(() => parseLabelSelector("!a=b"), '"!a" takes no operator or value', "at position 2");
});

test("invalid label keys are rejected with the reason and the key's position", () => {
  assertSelectorError(() => parseLabelSelector("x, -a=b"), 'invalid label key "-a"', "name part must consist of", "at position 3");
  assertSelectorError(() => parseLabelSelector(`${"k".repeat(64)}`), "name part must be no more than 63 characters", "at position 0");
  assertSelectorError(() => parseLabelSelector("Example.com/a"), "prefix part must be a lowercase DNS-1123 subdomain");
  assertSelectorError(() => parseLabelSelector("/a"), "prefix part must be non-empty");
  assertSelectorError(() => parseLabelSelector("a/"), "name part must be non-empty");
  assertSelectorError(() => parseLabelSelector("a/b/c"), 'must have at most one "/"');
  assertSelectorError(() => parseLabelSelector(`${"p".repeat(254)}/n`), "prefix part must be no more than 253 characters");
});

test("invalid label values are rejected with the value's position", () => {
  assertSelectorError(() => parseLabelSelector("a=-b"), 'invalid label value "-b"', "at position 2");
  assertSelectorError(() => parseLabelSelector(`a=${"v".repeat(64)}`), "must be no more than 63 characters", "at position 2");
  assertSelectorError(() => parseLabelSelector("a in (ok, b/c)"), 'invalid label value "b/c"', "at position 10");
  assertSelectorError(() => parseLabelSelector("a=b!"), 'expected "," or end of selector, found "!"', "at position 3");
});

test("the select-nothing string form is refused by the parser", () => {
  assertSelectorError(() => parseLabelSelector("<nothing>"), "select-nothing selector");
});

// --- canonical strings ----------------------------------------------------------------------------

test("toString sorts requirements by key and values, and writes == as =", () => {
  const s = parseLabelSelector("z notin (c,a,b,a), b==x, !m, a in (q, p), k!=v, e");
  assert.equal(s.toString(), "a in (p,q),b=x,e,k!=v,!m,z notin (a,b,c)");
  assert.deepEqual(
    s.requirements.map((r) => r.key),
    ["a", "b", "e", "k", "m", "z"],
  );
  assert.equal(`${s}`, s.toString());
});

test("toString re-parses to the same selector", () => {
  const inputs = [
    "",
    "a",
    "!a",
    "a=",
    "a==b",
    "a!=b",
    "a in (,b)",
    "x.io/k notin (v2,v1),x.io/k",
    "env in (prod,staging),app=web,!canary,tier!=cache,team",
  ];
  for (const text of inputs) {
    const s = parseLabelSelector(text);
    const again = parseLabelSelector(s.toString());
    assert.equal(again.toString(), s.toString(), text);
    assert.deepEqual(again.requirements, s.requirements, text);
  }
});

test("requirements are frozen so callers cannot change a shared selector", () => {
  const s = parseLabelSelector("a in (x,y)");
  assert.ok(Object.isFrozen(s.requirements));
  assert.ok(Object.isFrozen(s.requirements[0]));
  assert.ok(Object.isFrozen(s.requirements[0]?.values));
});

// --- metav1.LabelSelector form --------------------------------------------------------------------

test("a nil selector object matches nothing and an empty one matches everything", () => {
  for (const nil of [undefined, null]) {
    const s = labelSelectorFromObject(nil);
    assert.equal(s.selectsNothing, true);
    assert.equal(s.empty, false);
    assert.equal(s.matches({}), false);
    assert.equal(s.matches({ a: "b" }), false);
    assert.equal(s.matches(undefined), false);
    assert.equal(s.toString(), "<nothing>");
  }
  for (const empty of [{}, { matchLabels: {}, matchExpressions: [] }]) {
    const s = labelSelectorFromObject(empty);
    assert.equal(s.empty, true);
    assert.equal(s.selectsNothing, false);
    assert.equal(s.matches(undefined), true);
    assert.equal(s.matches({ a: "b" }), true);
  }
});

test("matchLabels and matchExpressions combine with AND", () => {
  const s = labelSelectorFromObject({
    matchLabels: { app: "web" },
    matchExpressions: [
      { key: "env", operator: "In", values: ["prod", "staging"] },
      { key: "tier", operator: "NotIn", values: ["cache"] },
      { key: "team", operator: "Exists" },
      { key: "canary", operator: "DoesNotExist", values: [] },
    ],
  });
  assert.equal(s.toString(), "app=web,!canary,env in (prod,staging),team,tier notin (cache)");
  assert.equal(s.matches({ app: "web", env: "prod", team: "a" }), true);
  assert.equal(s.matches({ app: "web", env: "prod", team: "a", tier: "cache" }), false);
  assert.equal(s.matches({ app: "web", env: "prod", team: "a", canary: "1" }), false);
  assert.equal(s.matches({ app: "web", env: "prod" }), false);
  assert.equal(s.matches({ app: "db", env: "prod", team: "a" }), false);
  assert.deepEqual(parseLabelSelector(s.toString()).requirements, s.requirements);
});

test("matchExpressions In and NotIn need at least one value", () => {
  for (const operator of ["In", "NotIn"] as const) {
    assertSelectorError(
      () => labelSelectorFromObject({ matchExpressions: [{ key: "a", operator }] }),
      `matchExpressions[0].values: must be non-empty when operator is "${operator}"`,
    );
    assertSelectorError(
      () => labelSelectorFromObject({ matchExpressions: [{ key: "a", operator, values: [] }] }),
      "must be non-empty",
    );
  }
});

test("matchExpressions Exists and DoesNotExist take no values", () => {
  for (const operator of ["Exists", "DoesNotExist"] as const) {
    assertSelectorError(
      () => labelSelectorFromObject({ matchExpressions: [{ key: "ok", operator: "Exists" }, { key: "a", operator, values: ["x"] }] }),
      `matchExpressions[1].values: must be empty when operator is "${operator}"`,
    );
  }
});

test("matchExpressions with an unknown operator, bad key or bad value are rejected", () => {
  const err = assertSelectorError(
    () =>
      labelSelectorFromObject({
        matchExpressions: [{ key: "a", operator: "Gt" as "In", values: ["1"] }],
      }),
    'matchExpressions[0].operator: "Gt" is not a valid label selector operator',
  );
  assert.equal(err.position, undefined);
  assert.equal(err.input, undefined);
  assertSelectorError(
    () => labelSelectorFromObject({ matchExpressions: [{ key: "bad key", operator: "Exists" }] }),
    'matchExpressions[0].key: invalid label key "bad key"',
  );
  assertSelectorError(
    () => labelSelectorFromObject({ matchExpressions: [{ key: "a", operator: "In", values: ["ok", "not ok"] }] }),
    'matchExpressions[0].values[1]: invalid label value "not ok"',
  );
  assertSelectorError(() => labelSelectorFromObject({ matchLabels: { "a/b/c": "x" } }), 'matchLabels["a/b/c"]', "at most one");
  assertSelectorError(() => labelSelectorFromObject({ matchLabels: { a: "-x" } }), 'matchLabels["a"]: invalid label value "-x"');
});
