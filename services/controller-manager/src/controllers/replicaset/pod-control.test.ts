// Unit tests of pods made from templates and of slow-start batching.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { appsV1ReplicaSet, coreV1Pod } from "@kubeplane/api";
import { podFromTemplate, slowStartBatch } from "./pod-control.js";

describe("podFromTemplate", () => {
  it("copies the template and makes the owner its controller, named <owner>-", () => {
    const rs = appsV1ReplicaSet.ReplicaSet.fromPartial({ apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "web", namespace: "shop", uid: "u-1" } });
    const template = coreV1Pod.PodTemplateSpec.fromPartial({
      metadata: { labels: { app: "web" }, annotations: { a: "b" } },
      spec: { containers: [{ name: "app", image: "nginx" }] },
    });
    const pod = podFromTemplate(rs, template);
    assert.equal(pod.metadata!.generateName, "web-");
    assert.equal(pod.metadata!.name, "");
    assert.equal(pod.metadata!.namespace, "shop");
    assert.deepEqual(pod.metadata!.labels, { app: "web" });
    assert.deepEqual(pod.metadata!.annotations, { a: "b" });
    assert.deepEqual(pod.metadata!.ownerReferences, [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: "u-1", controller: true, blockOwnerDeletion: true }]);
    assert.equal(pod.spec!.containers[0]!.image, "nginx");
    const podLabels: Record<string, string> = pod.metadata!.labels;
    podLabels["x"] = "y";
    assert.deepEqual(template.metadata!.labels, { app: "web" }, "the template is not shared with the pod");
  });

  it("keeps generated names within 63 characters", () => {
    const rs = appsV1ReplicaSet.ReplicaSet.fromPartial({ apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "x".repeat(100), namespace: "d", uid: "u" } });
    assert.equal(podFromTemplate(rs, undefined).metadata!.generateName.length + 5, 63);
  });
});

describe("slowStartBatch", () => {
  it("runs batches of 1, 2, 4, … and stops after the first batch with a failure", async () => {
    const batches: number[] = [];
    let inFlight = 0;
    let calls = 0;
    const record = (): void => {
      if (inFlight === 0) batches.push(0);
      inFlight++;
      batches[batches.length - 1]!++;
    };
    const all = await slowStartBatch(10, 1, async () => {
      record();
      await Promise.resolve();
      inFlight--;
    });
    assert.deepEqual(batches, [1, 2, 4, 3]);
    assert.deepEqual(all, { attempted: 10, succeeded: 10, errors: [] });

    const failing = await slowStartBatch(10, 1, async () => {
      const call = ++calls;
      await Promise.resolve();
      if (call === 3) throw new Error("quota exceeded");
    });
    assert.equal(failing.attempted, 3);
    assert.equal(failing.succeeded, 2);
    assert.equal(failing.errors.length, 1);
  });
});
