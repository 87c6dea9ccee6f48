// Unit tests of the Warning header parser: Kubernetes' `299 - "text"` with escaped quotes and backslashes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseWarning } from "./warnings.js";

test("a Warning header value gives its text, unescaped; other shapes give nothing", () => {
  assert.equal(parseWarning('299 - "spec.nodeSelector[a]: deprecated"'), "spec.nodeSelector[a]: deprecated");
  assert.equal(parseWarning('299 - "use \\"kubernetes.io/os\\" instead, not C:\\\\x"'), 'use "kubernetes.io/os" instead, not C:\\x');
  assert.equal(parseWarning("not a warning"), undefined);
});
