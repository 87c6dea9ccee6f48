// Integration test of the pods/eviction subresource on a real apiserver: budgets spent and refused with 429, pods without a budget or not running evicted at once.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { apiErrors, coreV1Pod, isNotFound, kindFor, policyV1, type KindInfo } from "@kubeplane/api";
import { startTestCluster, type TestCluster } from "./harness.js";

const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const pdbs = kindFor("policy/v1", "PodDisruptionBudget") as KindInfo<policyV1.PodDisruptionBudget>;
const NS = "default";

let cluster: TestCluster;
before(async () => {
  cluster = await startTestCluster();
});
after(async () => {
  await cluster?.stop();
});

/** A pod labelled `app`, with the status `phase` (Running ones Ready). */
async function makePod(name: string, app: string, phase: "Running" | "Pending"): Promise<coreV1Pod.Pod> {
  const created = (await cluster.client.create(pods, coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NS, labels: { app } },
    spec: { containers: [{ name: "c", image: "busybox:1.36" }] },
  }))) as coreV1Pod.Pod;
  if (phase === "Pending") return created;
  created.status = coreV1Pod.PodStatus.fromPartial({ phase, conditions: [{ type: "Ready", status: "True" }] });
  return (await cluster.client.updateStatus(pods, created)) as coreV1Pod.Pod;
}

/** A budget over app=`app` whose status (as the disruption controller would write it) allows `allowed` disruptions. */
async function makeBudget(name: string, app: string, allowed: number, healthy: number): Promise<void> {
  const created = (await cluster.client.create(pdbs, policyV1.PodDisruptionBudget.fromPartial({
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name, namespace: NS },
    spec: { minAvailable: String(healthy - allowed), selector: { matchLabels: { app } } },
  }))) as policyV1.PodDisruptionBudget;
  created.status = policyV1.PodDisruptionBudgetStatus.fromPartial({
    observedGeneration: created.metadata!.generation,
    disruptionsAllowed: allowed,
    currentHealthy: healthy,
    desiredHealthy: healthy - allowed,
    expectedPods: healthy,
  });
  await cluster.client.updateStatus(pdbs, created);
}

async function gone(name: string): Promise<boolean> {
  try {
    await cluster.client.get(pods, NS, name);
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

describe("pods/eviction", () => {
  test("a pod no budget covers is deleted", async () => {
    await makePod("free-0", "free", "Running");
    await cluster.client.evict(NS, "free-0");
    assert.ok(await gone("free-0"));
  });

  test("an eviction spends the budget (disruptedPods records it); the next is refused with 429 and Kubernetes' message", async () => {
    for (const i of [0, 1, 2]) await makePod(`web-${i}`, "web", "Running");
    await makeBudget("web", "web", 1, 3);
    await cluster.client.evict(NS, "web-0");
    assert.ok(await gone("web-0"));
    const budget = (await cluster.client.get(pdbs, NS, "web")) as policyV1.PodDisruptionBudget;
    assert.equal(budget.status?.disruptionsAllowed, 0);
    assert.deepEqual(Object.keys(budget.status?.disruptedPods ?? {}), ["web-0"]);

    const refused = await cluster.client.evict(NS, "web-1").then(() => undefined, (err: unknown) => err);
    assert.ok(apiErrors.isApiError(refused), String(refused));
    assert.equal(refused.reason, "TooManyRequests");
    assert.equal(refused.code, 429);
    assert.equal(refused.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.deepEqual(refused.causes.map((c) => [c.reason, c.message]), [["DisruptionBudget", "The disruption budget web needs 2 healthy pods and has 3 currently"]]);
    assert.equal(await gone("web-1"), false, "the refused pod stays");
  });

  test("a pending pod is evicted even when its budget allows nothing; a budget not yet observed refuses", async () => {
    await makePod("db-0", "db", "Pending");
    await makePod("db-1", "db", "Running");
    await makeBudget("db", "db", 0, 1);
    await cluster.client.evict(NS, "db-0");
    assert.ok(await gone("db-0"));
    await cluster.client.create(pdbs, policyV1.PodDisruptionBudget.fromPartial({
      apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "cache", namespace: NS }, spec: { maxUnavailable: "1", selector: { matchLabels: { app: "cache" } } },
    }));
    await makePod("cache-0", "cache", "Running");
    const refused = await cluster.client.evict(NS, "cache-0").then(() => undefined, (err: unknown) => err);
    assert.ok(apiErrors.isApiError(refused) && refused.reason === "TooManyRequests", String(refused));
    assert.match(refused.causes[0]?.message ?? "", /still being processed/);
  });

  test("a pod two budgets cover cannot be evicted", async () => {
    await makePod("twice-0", "twice", "Running");
    await makeBudget("twice-a", "twice", 1, 1);
    await makeBudget("twice-b", "twice", 1, 1);
    const refused = await cluster.client.evict(NS, "twice-0").then(() => undefined, (err: unknown) => err);
    assert.ok(apiErrors.isApiError(refused) && refused.reason === "InternalError", String(refused));
    assert.match(refused.message, /more than one PodDisruptionBudget/);
  });
});
