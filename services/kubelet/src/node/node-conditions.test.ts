// Unit tests of the node conditions, allocatable and reported images.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allocatableFrom } from "./allocatable.js";
import { nodeConditions } from "./node-conditions.js";
import { nodeImages } from "./node-images.js";

describe("node conditions", () => {
  const t0 = new Date("2026-11-23T10:00:00.000Z");
  const t1 = new Date("2026-11-23T10:00:10.000Z");

  it("keeps lastTransitionTime while a condition's status holds, and moves it when it flips", () => {
    const first = nodeConditions([], { ready: true }, t0);
    const same = nodeConditions(first, { ready: true }, t1);
    const readyOf = (cs: typeof first) => cs.find((c) => c.type === "Ready")!;
    assert.equal(readyOf(same).lastTransitionTime, "2026-11-23T10:00:00Z");
    assert.equal(readyOf(same).lastHeartbeatTime, "2026-11-23T10:00:10Z");
    const down = nodeConditions(same, { ready: false, message: "PLEG is not healthy" }, t1);
    assert.deepEqual(
      { ...readyOf(down) },
      { type: "Ready", status: "False", reason: "KubeletNotReady", message: "PLEG is not healthy", lastHeartbeatTime: "2026-11-23T10:00:10Z", lastTransitionTime: "2026-11-23T10:00:10Z" },
    );
  });

  it("keeps conditions of other types as they are", () => {
    const other = { type: "NetworkUnavailable", status: "False", reason: "RouteCreated", message: "", lastHeartbeatTime: "x", lastTransitionTime: "y" };
    const out = nodeConditions([other], { ready: true }, t0);
    assert.deepEqual(out[0], other);
    assert.deepEqual(out.map((c) => c.type), ["NetworkUnavailable", "MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]);
  });
});

describe("allocatable", () => {
  it("subtracts every reservation from capacity, never below zero", () => {
    const out = allocatableFrom({ cpu: "2", memory: "1Gi", pods: "110" }, { cpu: "500m", memory: "100Mi" }, { cpu: "2", "nvidia.com/gpu": "1" }, undefined);
    assert.deepEqual(out, { cpu: "0", memory: "924Mi", pods: "110" });
  });
});

describe("node images", () => {
  it("names images by tags then digests, biggest first, and drops unnamed ones", () => {
    const out = nodeImages([
      { id: "a", repoTags: ["a:1"], repoDigests: ["a@sha256:1"], size: 10 },
      { id: "b", repoTags: [], repoDigests: [], size: 99 },
      { id: "c", repoTags: ["c:1", "c:latest"], repoDigests: [], size: 20 },
    ], 5);
    assert.deepEqual(out, [{ names: ["c:1", "c:latest"], sizeBytes: 20 }, { names: ["a:1", "a@sha256:1"], sizeBytes: 10 }]);
  });
});
