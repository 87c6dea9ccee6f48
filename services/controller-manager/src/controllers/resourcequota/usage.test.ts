// Unit tests of quota usage counting: counts, compute sums, scopes, terminal pods, count/<resource>.<group> kinds.
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindFor, type ApiObject, type coreV1ResourceQuota, type KindInfo } from "@kubeplane/api";
import { calculateUsage, kindsTrackedBy } from "./usage.js";

const quotaKind = kindFor("v1", "ResourceQuota")!;
const podKind = kindFor("v1", "Pod")!;

function quota(hard: Record<string, string>, scopes: string[] = []): coreV1ResourceQuota.ResourceQuota {
  return quotaKind.codec.fromJSON({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "q", namespace: "team" }, spec: { hard, scopes } }) as coreV1ResourceQuota.ResourceQuota;
}

function pod(name: string, resources?: Record<string, unknown>, phase = "Running"): ApiObject {
  return podKind.codec.fromJSON({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "team" }, spec: { containers: [{ name: "c", image: "i", ...(resources ? { resources } : {}) }] }, status: { phase } });
}

function objects(byResource: Record<string, ApiObject[]>): (kind: KindInfo) => ApiObject[] {
  return (kind) => byResource[kind.resource] ?? [];
}

test("pods and compute are summed over running pods; finished pods count only as count/pods", async () => {
  const pods = [pod("a", { requests: { cpu: "250m" }, limits: { memory: "1Gi" } }), pod("b", { requests: { cpu: "500m" } }), pod("done", { requests: { cpu: "4" } }, "Succeeded")];
  const used = await calculateUsage(quota({ pods: "10", "count/pods": "10", "requests.cpu": "2", "limits.memory": "2Gi", configmaps: "5" }), objects({ pods }));
  assert.deepEqual(used, { pods: "2", "count/pods": "3", "requests.cpu": "750m", "limits.memory": "1Gi", configmaps: "0" });
});

test("scopes restrict which pods count", async () => {
  const pods = [pod("besteffort"), pod("burstable", { requests: { memory: "64Mi" } })];
  assert.deepEqual(await calculateUsage(quota({ pods: "10" }, ["BestEffort"]), objects({ pods })), { pods: "1" });
  assert.deepEqual(await calculateUsage(quota({ pods: "10" }, ["NotBestEffort"]), objects({ pods })), { pods: "1" });
});

test("count/<resource>.<group> names the kind it counts; unknown kinds count nothing", async () => {
  const hard = { "count/deployments.apps": "2", "count/widgets.example.com": "1", secrets: "3" };
  assert.deepEqual(kindsTrackedBy(hard).map((k) => `${k.group}/${k.resource}`).sort(), ["/secrets", "apps/deployments"]);
  const deployment = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: "team" } } as ApiObject;
  const used = await calculateUsage(quota(hard), objects({ deployments: [deployment, deployment], secrets: [] }));
  assert.deepEqual(used, { "count/deployments.apps": "2", "count/widgets.example.com": "0", secrets: "0" });
});
