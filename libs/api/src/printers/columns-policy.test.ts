// Unit test of `kpctl get quota` and `kpctl get limits` columns (kubectl's REQUEST/LIMIT split and CREATED AT).
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindFor } from "../kinds.js";
import { columnsFor } from "./columns.js";

test("get quota prints used/hard per resource, limits.* in LIMIT and the rest in REQUEST", () => {
  const columns = columnsFor(kindFor("v1", "ResourceQuota")!);
  assert.deepEqual(columns.headers, ["NAME", "AGE", "REQUEST", "LIMIT"]);
  const quota = {
    metadata: { name: "compute", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { hard: { pods: "2", "requests.cpu": "1", "limits.memory": "1Gi" } },
    status: { hard: { pods: "2", "requests.cpu": "1", "limits.memory": "1Gi" }, used: { pods: "1", "requests.cpu": "250m" } },
  };
  assert.deepEqual(columns.row(quota, new Date("2026-01-01T00:05:00Z")), ["compute", "5m", "pods: 1/2, requests.cpu: 250m/1", "limits.memory: 0/1Gi"]);
});

test("get limits prints NAME and CREATED AT", () => {
  const columns = columnsFor(kindFor("v1", "LimitRange")!);
  assert.deepEqual(columns.headers, ["NAME", "CREATED AT"]);
  assert.deepEqual(columns.row({ metadata: { name: "defaults", creationTimestamp: "2026-01-01T00:00:00Z" } }, new Date()), ["defaults", "2026-01-01T00:00:00Z"]);
});
