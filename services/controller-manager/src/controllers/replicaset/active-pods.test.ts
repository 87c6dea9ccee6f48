// Unit tests of the deletion ranking replica controllers use.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coreV1Pod } from "@kubeplane/api";
import { rankPodsForDeletion } from "./active-pods.js";

function pod(name: string, opts: { node?: string; phase?: string; readySince?: string; created?: string; restarts?: number; deleting?: boolean } = {}): coreV1Pod.Pod {
  return coreV1Pod.Pod.fromPartial({
    metadata: { name, creationTimestamp: opts.created ?? "2026-01-01T00:00:00Z", deletionTimestamp: opts.deleting ? "2026-01-01T00:10:00Z" : "" },
    spec: { nodeName: opts.node ?? "" },
    status: {
      phase: opts.phase ?? "Pending",
      conditions: opts.readySince ? [{ type: "Ready", status: "True", lastTransitionTime: opts.readySince }] : [],
      containerStatuses: [{ name: "app", restartCount: opts.restarts ?? 0 }],
    },
  });
}

describe("rankPodsForDeletion", () => {
  it("deletes unscheduled, then pending, then not-ready, then ready pods", () => {
    const ready = pod("ready", { node: "n1", phase: "Running", readySince: "2026-01-01T00:01:00Z" });
    const notReady = pod("not-ready", { node: "n2", phase: "Running" });
    const pending = pod("pending", { node: "n3", phase: "Pending" });
    const unscheduled = pod("unscheduled");
    const order = rankPodsForDeletion([ready, notReady, pending, unscheduled]).map((p) => p.metadata!.name);
    assert.deepEqual(order, ["unscheduled", "pending", "not-ready", "ready"]);
  });

  it("prefers pods doubled up on a node, then recently ready, then more restarts, then newer", () => {
    const running = { phase: "Running", readySince: "2026-01-01T00:01:00Z" };
    const crowdedA = pod("crowded-a", { ...running, node: "n1" });
    const crowdedB = pod("crowded-b", { ...running, node: "n1", created: "2026-01-01T00:00:30Z" });
    const alone = pod("alone", { ...running, node: "n2" });
    assert.deepEqual(rankPodsForDeletion([alone, crowdedA, crowdedB]).map((p) => p.metadata!.name), ["crowded-b", "crowded-a", "alone"]);

    const longReady = pod("long-ready", { ...running, node: "a" });
    const justReady = pod("just-ready", { ...running, node: "b", readySince: "2026-01-01T00:05:00Z" });
    assert.deepEqual(rankPodsForDeletion([longReady, justReady]).map((p) => p.metadata!.name), ["just-ready", "long-ready"]);

    const calm = pod("calm", { ...running, node: "a" });
    const flaky = pod("flaky", { ...running, node: "b", restarts: 4 });
    assert.deepEqual(rankPodsForDeletion([calm, flaky]).map((p) => p.metadata!.name), ["flaky", "calm"]);

    const older = pod("older", { node: "a", phase: "Running", created: "2026-01-01T00:00:00Z" });
    const newer = pod("newer", { node: "b", phase: "Running", created: "2026-01-01T00:03:00Z" });
    assert.deepEqual(rankPodsForDeletion([older, newer]).map((p) => p.metadata!.name), ["newer", "older"]);
  });
});
