// autoscaling/v1 HorizontalPodAutoscalers: the classic manifest decodes to the stored v2 object and reads back unchanged.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeJson, encodeJson } from "../json-codec.js";
import { kindFor, kindForVersion, type ApiObject, type KindInfo } from "../kinds.js";
import type { HorizontalPodAutoscaler } from "../gen/kubeplane/autoscaling/v2/horizontal_pod_autoscaler.js";

const v1 = kindFor("autoscaling/v1", "HorizontalPodAutoscaler") as KindInfo<HorizontalPodAutoscaler & ApiObject>;
const v2 = kindFor("autoscaling/v2", "HorizontalPodAutoscaler") as KindInfo<HorizontalPodAutoscaler & ApiObject>;

const classic = {
  apiVersion: "autoscaling/v1",
  kind: "HorizontalPodAutoscaler",
  metadata: { name: "web", namespace: "default" },
  spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, minReplicas: 1, maxReplicas: 10, targetCPUUtilizationPercentage: 50 },
};

test("autoscaling/v1 is served as a version of the one HorizontalPodAutoscaler kind", () => {
  assert.equal(v1.resource, v2.resource);
  assert.equal(v1.typeName, v2.typeName);
  assert.equal(kindForVersion("autoscaling", "v1", "horizontalpodautoscalers"), v1);
  assert.equal(kindForVersion("autoscaling", "v2", "horizontalpodautoscalers"), v2);
  assert.equal(kindForVersion("autoscaling", "v2beta9", "horizontalpodautoscalers"), undefined);
});

test("the classic targetCPUUtilizationPercentage manifest decodes to a v2 cpu Utilization metric", () => {
  const { object, errors } = decodeJson(v1, structuredClone(classic));
  assert.deepEqual(errors, []);
  assert.equal(object?.apiVersion, "autoscaling/v2");
  const spec = (v2.codec.toJSON(object!) as { spec: { metrics: unknown; targetCPUUtilizationPercentage?: number } }).spec;
  assert.deepEqual(spec.metrics, [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } }]);
  assert.equal(spec.targetCPUUtilizationPercentage, undefined);
});

test("read as v1, the object is the manifest again (status's current utilization too)", () => {
  const { object } = decodeJson(v1, structuredClone(classic));
  object!.status = { currentReplicas: 2, desiredReplicas: 3, lastScaleTime: "", currentMetrics: [{ type: "Resource", resource: { name: "cpu", current: { value: "", averageValue: "120m", averageUtilization: 60 } } }], conditions: [] };
  const json = encodeJson(v1, object!) as Record<string, Record<string, unknown>>;
  assert.equal(json.apiVersion as unknown, "autoscaling/v1");
  assert.deepEqual(json.spec, classic.spec);
  assert.equal(json.status!.currentCPUUtilizationPercentage, 60);
  assert.equal(json.status!.currentMetrics, undefined);
});

test("what v1 cannot say (memory metrics, behavior, conditions) rides in annotations and comes back", () => {
  const full = {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "web", namespace: "default", annotations: { team: "a" } },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } },
        { type: "Resource", resource: { name: "memory", target: { type: "AverageValue", averageValue: "100Mi" } } },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: "Max", policies: [{ type: "Pods", value: 1, periodSeconds: 30 }] } },
    },
    status: { currentReplicas: 1, desiredReplicas: 1, conditions: [{ type: "AbleToScale", status: "True", reason: "ReadyForNewScale", message: "m", lastTransitionTime: "2026-12-06T12:00:00Z" }] },
  };
  const stored = decodeJson(v2, full).object!;
  const asV1 = encodeJson(v1, stored) as { metadata: { annotations: Record<string, string> }; spec: Record<string, unknown> };
  assert.equal(asV1.spec.targetCPUUtilizationPercentage, 50);
  assert.equal(asV1.spec.metrics, undefined);
  assert.equal(asV1.metadata.annotations.team, "a");
  assert.ok(asV1.metadata.annotations["autoscaling.alpha.kubernetes.io/metrics"]?.includes("memory"));
  const back = decodeJson(v1, asV1).object!;
  assert.deepEqual(v2.codec.toJSON(back), v2.codec.toJSON(stored));
});

test("a wrong field of a v1 manifest is refused with its path", () => {
  const bad = structuredClone(classic) as unknown as { spec: Record<string, unknown> };
  bad.spec.targetCPUUtilizationPercentage = "fifty";
  assert.ok(decodeJson(v1, bad).errors.length > 0);
  const unknown = structuredClone(classic) as unknown as { spec: Record<string, unknown> };
  unknown.spec.targetCpuPercent = 50;
  assert.ok(decodeJson(v1, unknown).errors.some((e) => e.field.includes("targetCpuPercent")));
});
