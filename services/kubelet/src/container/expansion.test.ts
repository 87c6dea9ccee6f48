// Tests of $(VAR) expansion against Kubernetes' expansion cases.

import assert from "node:assert/strict";
import { test } from "node:test";
import { expand } from "./expansion.js";

const vars: Record<string, string> = { VAR_A: "A", VAR_B: "B", EMPTY: "" };
const lookup = (name: string): string | undefined => vars[name];

test("known references expand, unknown ones stay as written", () => {
  assert.equal(expand("$(VAR_A)-$(VAR_B)", lookup), "A-B");
  assert.equal(expand("x$(NOPE)y", lookup), "x$(NOPE)y");
  assert.equal(expand("[$(EMPTY)]", lookup), "[]");
});

test("$$ escapes a dollar and other dollars stay literal", () => {
  assert.equal(expand("$$(VAR_A)", lookup), "$(VAR_A)");
  assert.equal(expand("$$$(VAR_A)", lookup), "$A");
  assert.equal(expand("$VAR_A $", lookup), "$VAR_A $");
  assert.equal(expand("$(VAR_A", lookup), "$(VAR_A");
  assert.equal(expand("$()", lookup), "$()");
});
