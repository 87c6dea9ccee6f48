// Unit tests for ResourceQuota and LimitRange validation and LimitRange defaults (Kubernetes' messages).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { LimitRange } from "../gen/kubeplane/core/v1/resource_quota.js";
import { validateObject } from "./index.js";
import { kindInfo, manifest, pairs } from "./test-support.js";

const meta = { name: "q", namespace: "default" };
const QuotaKind = kindInfo("v1", "ResourceQuota");
const LimitRangeKind = kindInfo("v1", "LimitRange");
const quota = (spec: Record<string, unknown>) => manifest({ apiVersion: "v1", kind: "ResourceQuota", metadata: meta, spec });
const limitRange = (limits: Record<string, unknown>[]) => manifest<LimitRange>({ apiVersion: "v1", kind: "LimitRange", metadata: meta, spec: { limits } });

test("a quota of counts and compute resources is valid", () => {
  const q = quota({ hard: { pods: "10", "count/deployments.apps": "3", "requests.cpu": "2", "limits.memory": "4Gi", "gold.storageclass.storage.k8s.io/requests.storage": "10Gi" }, scopes: ["NotBestEffort"] });
  assert.deepEqual(validateObject(QuotaKind, q), []);
});

test("a quota refuses unknown resources, negative or fractional counts and conflicting scopes", () => {
  const q = quota({ hard: { widgets: "1", pods: "1500m", "requests.cpu": "-1" }, scopes: ["BestEffort", "NotBestEffort", "Sometimes"] });
  const errs = validateObject(QuotaKind, q);
  assert.deepEqual(pairs(errs).sort(), [
    "spec.hard[pods] FieldValueInvalid",
    "spec.hard[requests.cpu] FieldValueInvalid",
    "spec.hard[widgets] FieldValueInvalid",
    "spec.scopes FieldValueInvalid",
    "spec.scopes[2] FieldValueNotSupported",
  ]);
  assert.ok(errs.some((e) => e.detail === "must be a standard resource for quota"));
  assert.ok(errs.some((e) => e.detail === "must be an integer"));
});

test("LimitRange Container defaults: limit from max, request from the default limit, else from min", () => {
  const lr = limitRange([{ type: "Container", max: { cpu: "2" }, min: { memory: "64Mi" } }]);
  const item = lr.spec?.limits[0];
  assert.deepEqual(item?.default, { cpu: "2" });
  assert.deepEqual(item?.defaultRequest, { cpu: "2", memory: "64Mi" });
  const pod = limitRange([{ type: "Pod", max: { cpu: "2" } }]);
  assert.deepEqual(pod.spec?.limits[0]?.default, {});
});

test("LimitRange ordering checks carry Kubernetes' messages", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ type: "Container", max: { cpu: "1" }, min: { cpu: "2" } }, "min value 2 is greater than max value 1"],
    [{ type: "Container", max: { cpu: "1" }, min: { cpu: "100m" }, defaultRequest: { cpu: "2000m" } }, "default request value 2 is greater than max value 1"],
    [{ type: "Container", max: { cpu: "2" }, min: { cpu: "100m" }, default: { cpu: "500m" }, defaultRequest: { cpu: "800m" } }, "default request value 800m is greater than default limit value 500m"],
    [{ type: "Pod", maxLimitRequestRatio: { cpu: "800m" } }, "ratio 800m is less than 1"],
    [{ type: "Container", max: { memory: "2Gi" }, min: { memory: "512Mi" }, maxLimitRequestRatio: { memory: "10" } }, "ratio 10 is greater than max/min = 4.000000"],
  ];
  for (const [item, message] of cases) {
    const details = validateObject(LimitRangeKind, limitRange([item])).map((e) => e.detail);
    assert.ok(details.includes(message), `${message} in ${JSON.stringify(details)}`);
  }
});

test("LimitRange: Pod items take no defaults, PVC items need a storage bound, types are required", () => {
  assert.deepEqual(pairs(validateObject(LimitRangeKind, limitRange([{ type: "Pod", default: { cpu: "1" } }]))), ["spec.limits[0].default FieldValueForbidden"]);
  assert.deepEqual(pairs(validateObject(LimitRangeKind, limitRange([{ type: "PersistentVolumeClaim", max: { cpu: "1" } }]))), [
    "spec.limits[0].max[cpu] FieldValueNotSupported",
    "spec.limits[0].limits FieldValueRequired",
  ]);
  assert.deepEqual(pairs(validateObject(LimitRangeKind, limitRange([{ max: { cpu: "1" } }]))), ["spec.limits[0].type FieldValueRequired"]);
});
