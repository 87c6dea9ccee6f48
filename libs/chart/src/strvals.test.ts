import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValuesError } from "./errors.js";
import { parseSet, typedValue } from "./strvals.js";

describe("--set (Helm's strvals)", () => {
  test("values are typed as Helm types them: booleans, null, integers without a leading zero; the rest are strings", () => {
    assert.deepEqual(
      ["true", "FALSE", "null", "0", "42", "-7", "007", "1.5", "1e3", "", "abc", "99999999999999999999"].map((v) => typedValue(v, false)),
      [true, false, null, 0, 42, -7, "007", "1.5", "1e3", "", "abc", "99999999999999999999"],
    );
    assert.equal(typedValue("true", true), "true", "--set-string keeps every value a string");
  });

  test("dots nest maps, commas separate assignments, later ones win", () => {
    assert.deepEqual(parseSet("a.b=c,a.d=1,e=true,a.b=x", {}), { a: { b: "x", d: 1 }, e: true });
  });

  test("list indexes grow the list with nulls and may nest further", () => {
    assert.deepEqual(parseSet("list[2]=x,items[0].name=a,items[0].port=80,m[0][1]=z", {}), {
      list: [null, null, "x"],
      items: [{ name: "a", port: 80 }],
      m: [[null, "z"]],
    });
  });

  test("braces make a list value; backslash escapes commas and dots", () => {
    assert.deepEqual(parseSet("tags={a,b,3},msg=hello\\, world,nodeSelector.kubernetes\\.io/os=linux", {}), {
      tags: ["a", "b", 3],
      msg: "hello, world",
      nodeSelector: { "kubernetes.io/os": "linux" },
    });
  });

  test("applies on top of an existing map, replacing scalars with maps where a path goes deeper", () => {
    assert.deepEqual(parseSet("a.b.c=1", { a: { b: "scalar", keep: 1 } }), { a: { b: { c: 1 }, keep: 1 } });
  });

  test("malformed expressions are refused naming the expression", () => {
    for (const [expr, why] of [
      ["name", /key "name" has no value/],
      ["a=1,b", /key "b" has no value/],
      ["list[x]=1", /"x" is not a valid list index/],
      ["list[1=1", /missing '\]'/],
      ["l[70000]=1", /greater than maximum supported index/],
      ["t={a,b", /list value must terminate/],
      ["=1", /key has no name/],
    ] as const) {
      assert.throws(() => parseSet(expr, {}), (err: unknown) => err instanceof ValuesError && why.test(err.message) && err.message.includes(`"${expr}"`), expr);
    }
  });
});
