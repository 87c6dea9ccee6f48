// Unit tests of the pod predicates, at their boundaries.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coreV1Pod } from "@kubeplane/api";
import { isPodActive, isPodAvailable, isPodFinished, isPodReady, isRunningAndReady, msUntilAvailable, readySinceMs } from "./pod-util.js";

function pod(opts: { phase?: string; ready?: "True" | "False"; readySince?: string; deleting?: boolean } = {}): coreV1Pod.Pod {
  return coreV1Pod.Pod.fromPartial({
    metadata: { name: "p", deletionTimestamp: opts.deleting ? "2026-01-01T00:10:00Z" : "" },
    status: {
      phase: opts.phase ?? "Running",
      conditions: opts.ready ? [{ type: "Ready", status: opts.ready, lastTransitionTime: opts.readySince ?? "" }] : [],
    },
  });
}

const t0 = Date.parse("2026-01-01T00:00:00Z");
const at = (ms: number): Date => new Date(t0 + ms);

describe("active and finished pods", () => {
  it("finished and terminating pods are not active", () => {
    assert.equal(isPodActive(pod({ phase: "Running" })), true);
    assert.equal(isPodActive(pod({ phase: "Pending" })), true);
    assert.equal(isPodActive(pod({ phase: "Succeeded" })), false);
    assert.equal(isPodActive(pod({ phase: "Failed" })), false);
    assert.equal(isPodActive(pod({ phase: "Running", deleting: true })), false);
  });

  it("only Succeeded and Failed pods are finished, deleting or not", () => {
    assert.equal(isPodFinished(pod({ phase: "Succeeded" })), true);
    assert.equal(isPodFinished(pod({ phase: "Failed" })), true);
    assert.equal(isPodFinished(pod({ phase: "Running", deleting: true })), false);
    assert.equal(isPodFinished(pod({ phase: "Unknown" })), false);
  });
});

describe("ready pods", () => {
  it("ready means a Ready condition with status True", () => {
    assert.equal(isPodReady(pod({ ready: "True" })), true);
    assert.equal(isPodReady(pod({ ready: "False" })), false);
    assert.equal(isPodReady(pod()), false);
    assert.equal(isPodReady(coreV1Pod.Pod.fromPartial({})), false);
  });

  it("running and ready needs both", () => {
    assert.equal(isRunningAndReady(pod({ ready: "True" })), true);
    assert.equal(isRunningAndReady(pod({ phase: "Pending", ready: "True" })), false);
    assert.equal(isRunningAndReady(pod({ ready: "False" })), false);
  });

  it("ready since is the Ready transition, and unknown when not ready or unparsable", () => {
    assert.equal(readySinceMs(pod({ ready: "True", readySince: "2026-01-01T00:00:00Z" })), t0);
    assert.equal(readySinceMs(pod({ ready: "False", readySince: "2026-01-01T00:00:00Z" })), undefined);
    assert.equal(readySinceMs(pod({ ready: "True", readySince: "yesterday" })), undefined);
  });
});

describe("available pods", () => {
  const ready = pod({ ready: "True", readySince: "2026-01-01T00:00:00Z" });

  it("with minReadySeconds 0 a ready pod is available at once, a not-ready one never", () => {
    assert.equal(isPodAvailable(ready, 0, at(0)), true);
    assert.equal(isPodAvailable(pod({ ready: "True" }), 0, at(0)), true);
    assert.equal(isPodAvailable(pod({ ready: "False", readySince: "2026-01-01T00:00:00Z" }), 0, at(60_000)), false);
  });

  it("is available exactly when ready for minReadySeconds: transition + minReadySeconds <= now", () => {
    assert.equal(isPodAvailable(ready, 5, at(4_999)), false);
    assert.equal(isPodAvailable(ready, 5, at(5_000)), true);
    assert.equal(isPodAvailable(ready, 5, at(5_001)), true);
  });

  it("a ready pod with no transition time is not available when minReadySeconds > 0", () => {
    assert.equal(isPodAvailable(pod({ ready: "True" }), 1, at(3_600_000)), false);
  });

  it("the wait until available ends where availability begins", () => {
    assert.equal(msUntilAvailable(ready, 5, at(4_000)), 1_000);
    assert.equal(msUntilAvailable(ready, 5, at(4_999)), 1);
    assert.equal(msUntilAvailable(ready, 5, at(5_000)), undefined);
    assert.equal(msUntilAvailable(ready, 0, at(0)), undefined);
    assert.equal(msUntilAvailable(pod({ ready: "False" }), 5, at(0)), undefined);
  });
});
