// Unit tests of --controllers selection.
import assert from "node:assert/strict";
import { test } from "node:test";
import { selectControllers } from "./registry.js";

const known = ["cronjob", "deployment", "job", "replicaset"];

test("* selects every controller, -name leaves one out, name adds one", () => {
  assert.deepEqual(selectControllers(["*"], known), known);
  assert.deepEqual(selectControllers(["*", "-cronjob"], known), ["deployment", "job", "replicaset"]);
  assert.deepEqual(selectControllers(["job"], known), ["job"]);
  assert.deepEqual(selectControllers([], known), []);
});

test("an unknown controller name is an error naming the known ones", () => {
  assert.throws(() => selectControllers(["*", "-bogus"], known), /controllers: Unsupported value "bogus": supported values: "cronjob", "deployment", "job", "replicaset"/);
});
