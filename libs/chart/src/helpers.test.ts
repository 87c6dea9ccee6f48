import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HELPERS as h, TemplateFailure } from "./helpers.js";

describe("template helpers", () => {
  test("toYaml sorts keys and drops the trailing newline; indent and nindent pad every line", () => {
    assert.equal(h.toYaml({ requests: { memory: "16Mi", cpu: "10m" }, limits: {} }), "limits: {}\nrequests:\n  cpu: 10m\n  memory: 16Mi");
    assert.equal(h.indent(2, "a\nb"), "  a\n  b");
    assert.equal(h.nindent(4, "a"), "\n    a");
    assert.equal(h.toJson({ a: [1, "x"] }), '{"a":[1,"x"]}');
  });

  test("quote escapes and skips nulls; squote does not escape", () => {
    assert.equal(h.quote('say "hi"'), '"say \\"hi\\""');
    assert.equal(h.quote("a", null, 3), '"a" "3"');
    assert.equal(h.squote("it"), "'it'");
  });

  test("dflt (Helm's default) replaces empty values, not just missing ones", () => {
    assert.deepEqual([undefined, null, "", 0, false, [], {}, "x", 5].map((v) => h.dflt("d", v)), ["d", "d", "d", "d", "d", "d", "d", "x", 5]);
  });

  test("required throws its message for null, undefined and empty strings", () => {
    assert.throws(() => h.required("image.tag is required", ""), (err: unknown) => err instanceof TemplateFailure && err.message === "image.tag is required");
    assert.equal(h.required("x", 0), 0);
  });

  test("encoding and string helpers behave as Sprig's", () => {
    assert.equal(h.b64enc("kubeplane"), "a3ViZXBsYW5l");
    assert.equal(h.b64dec("a3ViZXBsYW5l"), "kubeplane");
    assert.equal(h.sha256sum(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert.equal(h.trunc(3, "abcdef"), "abc");
    assert.equal(h.trunc(-2, "abcdef"), "ef");
    assert.equal(h.trimSuffix("-", "name-"), "name");
    assert.equal(h.trimSuffix("-", "name"), "name");
    assert.equal(h.lower("AbC"), "abc");
    assert.equal(h.upper("AbC"), "ABC");
  });
});
