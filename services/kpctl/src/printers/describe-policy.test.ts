// Unit test of `kpctl describe quota` and `kpctl describe limits` bodies, as kubectl prints them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindFor } from "@kubeplane/api";
import { describeObject } from "./describe.js";

test("describe quota lists each resource's used and hard amounts", () => {
  const quota = {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: { name: "compute", namespace: "team", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { hard: { pods: "2", "requests.cpu": "1" } },
    status: { hard: { pods: "2", "requests.cpu": "1" }, used: { pods: "1", "requests.cpu": "250m" } },
  };
  const text = describeObject(kindFor("v1", "ResourceQuota")!, quota, undefined, new Date());
  assert.match(text, /\nResource +Used +Hard\n-------- +---- +----\npods +1 +2\nrequests\.cpu +250m +1\n$/);
});

test("describe limits prints one row per type and resource, - where unset", () => {
  const lr = {
    apiVersion: "v1",
    kind: "LimitRange",
    metadata: { name: "defaults", namespace: "team", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { limits: [{ type: "Container", max: { cpu: "2" }, default: { cpu: "500m", memory: "128Mi" }, defaultRequest: { cpu: "100m", memory: "128Mi" } }] },
  };
  const text = describeObject(kindFor("v1", "LimitRange")!, lr, undefined, new Date());
  assert.match(text, /\nContainer +cpu +- +2 +100m +500m +-\nContainer +memory +- +- +128Mi +128Mi +-\n$/);
});
