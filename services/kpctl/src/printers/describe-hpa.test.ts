// kubectl describe hpa's body: metrics as current / target, bounds, behavior, pods and conditions.
import assert from "node:assert/strict";
import { test } from "node:test";
import { describeHpa } from "./describe-hpa.js";
import { DescribeWriter } from "./describe-writer.js";

test("describe hpa words metrics, behavior and conditions as kubectl", () => {
  const w = new DescribeWriter();
  describeHpa(w, {
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } },
        { type: "Resource", resource: { name: "memory", target: { type: "AverageValue", averageValue: "100Mi" } } },
      ],
      behavior: { scaleDown: { selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] } },
    },
    status: {
      currentReplicas: 2,
      desiredReplicas: 3,
      currentMetrics: [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: 80, averageValue: "80m" } } }],
      conditions: [{ type: "AbleToScale", status: "True", reason: "SucceededRescale", message: "the HPA controller was able to update the target scale to 3" }],
    },
  });
  const text = w.toString();
  assert.match(text, /^Reference: +Deployment\/web$/m);
  assert.match(text, /^ {2}resource cpu on pods {2}\(as a percentage of request\): +80% \(80m\) \/ 50%$/m);
  assert.match(text, /^ {2}resource memory on pods: +<unknown> \/ 100Mi$/m);
  assert.match(text, /^ {4}Select Policy: +Max$/m);
  assert.match(text, /^ {6}- Type: Percent +Value: 100 +Period: 15 seconds$/m);
  assert.match(text, /^Deployment pods: +2 current \/ 3 desired$/m);
  assert.match(text, /^ {2}AbleToScale +True +SucceededRescale +the HPA controller was able to update the target scale to 3$/m);
});
