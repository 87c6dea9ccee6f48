// Unit tests of the replica status: counts, the ReplicaFailure condition and the availability recheck.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coreV1Pod } from "@kubeplane/api";
import { calculateStatus, nextAvailableInMs, statusChanged } from "./status.js";

const now = new Date("2026-01-01T00:01:00Z");

function pod(labels: Record<string, string>, readySince?: string): coreV1Pod.Pod {
  return coreV1Pod.Pod.fromPartial({
    metadata: { labels },
    status: { phase: "Running", conditions: readySince ? [{ type: "Ready", status: "True", lastTransitionTime: readySince }] : [] },
  });
}

describe("calculateStatus", () => {
  const pods = [
    pod({ app: "web", tier: "fe" }, "2026-01-01T00:00:00Z"),
    pod({ app: "web" }, "2026-01-01T00:00:50Z"),
    pod({ app: "web", tier: "fe" }),
  ];

  it("counts replicas, fully labelled, ready and available pods", () => {
    const status = calculateStatus({ previous: undefined, generation: 4, templateLabels: { app: "web", tier: "fe" }, minReadySeconds: 30, pods, failure: undefined, now });
    assert.deepEqual(status, { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 4, conditions: [] });
    assert.equal(statusChanged(status, { ...status }), false);
    assert.equal(statusChanged(status, { ...status, readyReplicas: 3 }), true);
  });

  it("adds ReplicaFailure on a failed create, keeps it while failing, removes it once a sync succeeds", () => {
    const base = { generation: 1, templateLabels: {}, minReadySeconds: 0, pods, now };
    const failed = calculateStatus({ ...base, previous: undefined, failure: { reason: "FailedCreate", message: "quota" } });
    assert.deepEqual(failed.conditions, [{ type: "ReplicaFailure", status: "True", reason: "FailedCreate", message: "quota", lastTransitionTime: "2026-01-01T00:01:00Z" }]);
    const still = calculateStatus({ ...base, previous: failed, failure: { reason: "FailedCreate", message: "other" }, now: new Date("2026-01-01T00:02:00Z") });
    assert.deepEqual(still.conditions, failed.conditions);
    assert.deepEqual(calculateStatus({ ...base, previous: still, failure: undefined }).conditions, []);
  });
});

describe("nextAvailableInMs", () => {
  it("is the wait until the first ready pod passes minReadySeconds", () => {
    const pods = [pod({}, "2026-01-01T00:00:50Z"), pod({}, "2026-01-01T00:00:40Z"), pod({})];
    const wait = nextAvailableInMs(pods, 30, now);
    assert.ok(wait !== undefined && wait >= 10_000 && wait < 11_000, `wait ${wait}`);
    assert.equal(nextAvailableInMs(pods, 0, now), undefined);
    assert.equal(nextAvailableInMs([pod({}, "2026-01-01T00:00:00Z")], 30, now), undefined);
  });
});
