// Unit tests of the rolling-update arithmetic: fenceposts, new-RS growth, old-RS shrinkage, proportional scaling.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { appsV1Deployment, appsV1ReplicaSet, coreV1Pod } from "@kubeplane/api";
import { computeHash, equalIgnoringHash, templateWithHash } from "./pod-template-hash.js";
import { newReplicaSetReplicas, oldReplicaSetsScaleDown, resolveFenceposts, scaleTargets } from "./rolling.js";

function deployment(replicas: number, maxSurge = "3", maxUnavailable = "2"): appsV1Deployment.Deployment {
  return appsV1Deployment.Deployment.fromPartial({
    metadata: { name: "d", generation: 1 },
    spec: { replicas, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge, maxUnavailable } } },
  });
}

function rs(name: string, replicas: number, available: number, created: string, annotations: Record<string, string> = {}): appsV1ReplicaSet.ReplicaSet {
  return appsV1ReplicaSet.ReplicaSet.fromPartial({
    metadata: { name, creationTimestamp: created, annotations },
    spec: { replicas },
    status: { replicas, availableReplicas: available, readyReplicas: available },
  });
}

describe("resolveFenceposts", () => {
  it("rounds surge up and unavailable down", () => {
    assert.deepEqual(resolveFenceposts("25%", "25%", 10), { surge: 3, unavailable: 2 });
    assert.deepEqual(resolveFenceposts("3", "2", 10), { surge: 3, unavailable: 2 });
  });
  it("allows one unavailable pod when both come out 0", () => {
    assert.deepEqual(resolveFenceposts("0", "10%", 5), { surge: 0, unavailable: 1 });
  });
});

describe("rolling update steps", () => {
  it("grows the new ReplicaSet to replicas+maxSurge pods at most", () => {
    const d = deployment(10);
    const old = rs("old", 10, 10, "2026-01-01T00:00:00Z");
    const fresh = rs("new", 0, 0, "2026-01-02T00:00:00Z");
    assert.equal(newReplicaSetReplicas(d, [old, fresh], fresh), 3);
  });
  it("does not grow while an old ReplicaSet still reports more pods than its spec", () => {
    const d = deployment(10);
    const old = appsV1ReplicaSet.ReplicaSet.fromPartial({ ...rs("old", 8, 8, "2026-01-01T00:00:00Z"), status: { replicas: 10, availableReplicas: 10 } });
    const fresh = rs("new", 3, 0, "2026-01-02T00:00:00Z");
    assert.equal(newReplicaSetReplicas(d, [old, fresh], fresh), 3);
  });
  it("shrinks old ReplicaSets without going below replicas-maxUnavailable available", () => {
    const d = deployment(10);
    const old = rs("old", 10, 10, "2026-01-01T00:00:00Z");
    const fresh = rs("new", 3, 0, "2026-01-02T00:00:00Z");
    assert.deepEqual(oldReplicaSetsScaleDown(d, [old], fresh).map((t) => t.replicas), [8]);
    const freshReady = rs("new", 3, 3, "2026-01-02T00:00:00Z");
    assert.deepEqual(oldReplicaSetsScaleDown(d, [old], freshReady).map((t) => t.replicas), [5]);
  });
  it("removes unavailable old pods first", () => {
    const d = deployment(10);
    const old = rs("old", 10, 7, "2026-01-01T00:00:00Z");
    const fresh = rs("new", 3, 3, "2026-01-02T00:00:00Z");
    // 3 unhealthy go for free, then the available budget 10-8 = 2.
    assert.deepEqual(oldReplicaSetsScaleDown(d, [old], fresh).map((t) => t.replicas), [5]);
  });
});

describe("proportional scaling", () => {
  it("spreads a scale-up over the ReplicaSets of a rollout by their size", () => {
    const annotations = { "deployment.kubernetes.io/desired-replicas": "10", "deployment.kubernetes.io/max-replicas": "13" };
    const old = rs("old", 8, 8, "2026-01-01T00:00:00Z", annotations);
    const fresh = rs("new", 5, 0, "2026-01-02T00:00:00Z", annotations);
    const d = deployment(20); // 20 + 3 surge = 23 pods allowed: 10 more
    const sizes = Object.fromEntries(scaleTargets(d, fresh, [old]).map((t) => [t.rs.metadata!.name, t.replicas]));
    assert.equal(sizes["old"]! + sizes["new"]!, 23);
    assert.deepEqual(sizes, { old: 14, new: 9 });
  });
  it("scales the only active ReplicaSet straight to replicas", () => {
    const only = rs("only", 10, 10, "2026-01-01T00:00:00Z", { "deployment.kubernetes.io/desired-replicas": "10" });
    assert.deepEqual(scaleTargets(deployment(2), only, []).map((t) => t.replicas), [2]);
  });
});

describe("pod-template-hash", () => {
  it("is stable, changes with the collision count, and ignores its own label when comparing", () => {
    const template = coreV1Pod.PodTemplateSpec.fromPartial({ metadata: { labels: { app: "a" } }, spec: { containers: [{ name: "c", image: "nginx" }] } });
    const hash = computeHash(template);
    assert.equal(hash, computeHash(coreV1Pod.PodTemplateSpec.fromPartial(coreV1Pod.PodTemplateSpec.toJSON(template) as object)));
    assert.notEqual(hash, computeHash(template, 1));
    assert.ok(equalIgnoringHash(templateWithHash(template, hash), template));
    const other = coreV1Pod.PodTemplateSpec.fromPartial({ metadata: { labels: { app: "a" } }, spec: { containers: [{ name: "c", image: "nginx:2" }] } });
    assert.ok(!equalIgnoringHash(templateWithHash(template, hash), other));
  });
});
