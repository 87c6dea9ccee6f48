// Unit tests of a pod's endpoint in a slice: its ready, serving and terminating conditions.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testPod, testService } from "../util/endpoint/test-objects.js";
import { podEndpoint } from "./slice-endpoints.js";

describe("slice endpoints", () => {
  it("slice conditions: ready = Ready and not terminating, serving = Ready, publishNotReadyAddresses makes every endpoint ready", () => {
    const svc = testService();
    const conditions = (opts: Parameters<typeof testPod>[1], s = svc): unknown => podEndpoint(testPod("a", opts), s, "10.0.0.1", undefined).conditions;
    assert.deepEqual(conditions({}), { ready: true, serving: true, terminating: false });
    assert.deepEqual(conditions({ ready: false }), { ready: false, serving: false, terminating: false });
    assert.deepEqual(conditions({ deleting: true }), { ready: false, serving: true, terminating: true });
    const publish = testService({ publishNotReadyAddresses: true });
    assert.deepEqual(conditions({ ready: false }, publish), { ready: true, serving: false, terminating: false });
  });
});
