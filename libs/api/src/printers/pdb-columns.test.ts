// Unit test of `kpctl get pdb`'s columns (kubectl's: N/A for the bound that is not set).
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindFor } from "../kinds.js";
import { columnsFor } from "./columns.js";

test("get pdb prints MIN AVAILABLE, MAX UNAVAILABLE (N/A when unset) and ALLOWED DISRUPTIONS", () => {
  const columns = columnsFor(kindFor("policy/v1", "PodDisruptionBudget")!);
  assert.deepEqual(columns.headers, ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"]);
  const now = new Date("2026-01-01T00:10:00Z");
  const pdb = { metadata: { name: "web", creationTimestamp: "2026-01-01T00:00:00Z" }, spec: { minAvailable: 2 }, status: { disruptionsAllowed: 1 } };
  assert.deepEqual(columns.row(pdb, now), ["web", "2", "N/A", "1", "10m"]);
});
