// Unit tests of --controllers selection.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { selectControllers } from "./registry.js";

const known = ["cloud-node", "node-ipam", "route", "service", "volume"];

describe("selectControllers", () => {
  it("selects all, adds and removes by name", () => {
    assert.deepEqual(selectControllers(["*"], known), known);
    assert.deepEqual(selectControllers(["*", "-route", "-node-ipam"], known), ["cloud-node", "service", "volume"]);
    assert.deepEqual(selectControllers(["service"], known), ["service"]);
  });

  it("names an unknown controller", () => {
    assert.throws(() => selectControllers(["*", "-routes"], known), /controllers: Unsupported value "routes"/);
  });
});
