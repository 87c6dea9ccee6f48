// Tests of cgroup numbers from requests and limits (cpu shares, CFS quota, memory limit).

import assert from "node:assert/strict";
import { test } from "node:test";
import { linuxResources } from "./resources.js";
import { container } from "./test-support.js";

const withResources = (requests: Record<string, string>, limits: Record<string, string>) =>
  container("app", { resources: { requests, limits, claims: [] } });

test("requests and limits become shares, quota over a 100ms period and a memory limit", () => {
  assert.deepEqual(linuxResources(withResources({ cpu: "250m", memory: "64Mi" }, { cpu: "1500m", memory: "1Gi" })), {
    cpuPeriod: 100_000,
    cpuShares: 256,
    cpuQuota: 150_000,
    memoryLimitInBytes: 1024 ** 3,
  });
});

test("no resources: minimum shares, no quota, no memory limit", () => {
  assert.deepEqual(linuxResources(container("app")), { cpuPeriod: 100_000, cpuShares: 2, cpuQuota: 0, memoryLimitInBytes: 0 });
});

test("a limit without a request sets the shares too, and tiny values are clamped", () => {
  assert.equal(linuxResources(withResources({}, { cpu: "2" })).cpuShares, 2048);
  assert.equal(linuxResources(withResources({ cpu: "1m" }, { cpu: "1m" })).cpuShares, 2);
  assert.equal(linuxResources(withResources({}, { cpu: "1m" })).cpuQuota, 1000);
  assert.equal(linuxResources(withResources({}, { memory: "500M" })).memoryLimitInBytes, 500_000_000);
});
