// `kpctl autoscale`: the HPA kubectl autoscale creates, and its checks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";

const deployments = kindFor("apps/v1", "Deployment") as KindInfo;
const hpas = kindFor("autoscaling/v2", "HorizontalPodAutoscaler") as KindInfo;

test("autoscale deployment creates an HPA named after it, with --min, --max and a cpu target", async () => {
  const api = new FakeApi();
  api.seed(deployments, { metadata: { name: "web", namespace: "default" }, spec: { replicas: 1 } });
  const io = fakeIo(api);
  assert.equal(await run(["autoscale", "deployment", "web", "--min=2", "--max=10", "--cpu-percent=80"], io), 0);
  assert.equal(io.stdout.text, "horizontalpodautoscaler.autoscaling/web autoscaled\n");
  const hpa = await api.get(hpas, "default", "web");
  assert.deepEqual(hpa.spec, {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
    minReplicas: 2,
    maxReplicas: 10,
    metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } }],
  });
});

test("autoscale needs --max, a scalable kind and an existing target", async () => {
  const api = new FakeApi();
  assert.notEqual(await run(["autoscale", "deployment", "web", "--min=2"], fakeIo(api)), 0);
  assert.notEqual(await run(["autoscale", "configmap", "x", "--max=3"], fakeIo(api)), 0);
  const missing = fakeIo(api);
  assert.notEqual(await run(["autoscale", "deployment/web", "--max=3"], missing), 0);
  assert.match(missing.stderr.text, /not found/);
});
