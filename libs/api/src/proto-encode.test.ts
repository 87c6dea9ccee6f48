// Unit test of the reused protobuf writer: results equal a fresh writer's, survive later encodes, and a failed encode does not spoil the next.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Config, coreV1Pod } from "./index.js";
import { encodeMessage } from "./proto-encode.js";

test("encodeMessage gives a fresh writer's bytes, each result its own copy, and recovers from an encode that throws", () => {
  const big = coreV1Config.ConfigMap.fromPartial({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "big", namespace: "ns" }, data: { k: "x".repeat(100_000) } });
  const pod = coreV1Pod.Pod.fromPartial({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns", labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "i" }] } });
  const first = encodeMessage(coreV1Pod.Pod, pod);
  assert.deepEqual(first, coreV1Pod.Pod.encode(pod).finish());
  const large = encodeMessage(coreV1Config.ConfigMap, big);
  assert.deepEqual(coreV1Config.ConfigMap.decode(large), big);
  const again = encodeMessage(coreV1Pod.Pod, pod);
  assert.deepEqual(again, first, "a smaller message after a larger one carries nothing of it");
  assert.deepEqual(coreV1Pod.Pod.decode(first), pod, "an earlier result is not overwritten by later encodes");
  const broken = { encode: (_m: unknown, w: { uint32(n: number): { fork(): unknown } }) => { w.uint32(10).fork(); throw new Error("bad field"); } };
  assert.throws(() => encodeMessage(broken as never, {}), /bad field/);
  assert.deepEqual(encodeMessage(coreV1Pod.Pod, pod), first, "the writer a failed encode left half-written is not reused");
});
