// Unit tests of intDiv.
import assert from "node:assert/strict";
import { test } from "node:test";
import { intDiv } from "./int-div.js";

test("intDiv truncates like Go's int64 division", () => {
  assert.equal(intDiv(7, 2), 3);
  assert.equal(intDiv(99, 100), 0);
  assert.equal(intDiv((2 ** 40 - 1) * 100, 2 ** 40), 99);
});
