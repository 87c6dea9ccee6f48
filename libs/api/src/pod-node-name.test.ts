// podNodeNameOf agrees with a full Pod decode.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Pod } from "./gen/kubeplane/core/v1/pod.js";
import { podNodeNameOf } from "./pod-node-name.js";

const encode = (pod: Parameters<typeof Pod.fromPartial>[0]): Uint8Array => Pod.encode(Pod.fromPartial(pod)).finish();

test("podNodeNameOf reads spec.nodeName as a full decode does", () => {
  const pods = [
    {},
    { metadata: { name: "a", namespace: "default", labels: { app: "x" } } },
    { metadata: { name: "b" }, spec: { containers: [{ name: "main", image: "nginx" }] }, status: { phase: "Pending", nominatedNodeName: "n9" } },
    { metadata: { name: "c" }, spec: { nodeName: "node-1", containers: [{ name: "main" }], hostname: "h" }, status: { phase: "Running" } },
    { spec: { nodeName: "ünïcode-node" } },
  ];
  for (const pod of pods) {
    const bytes = encode(pod);
    assert.equal(podNodeNameOf(bytes), Pod.decode(bytes).spec?.nodeName ?? "");
  }
});

test("podNodeNameOf merges repeated spec fields like protobuf: the last nodeName wins", () => {
  const first = encode({ spec: { nodeName: "old" } });
  const second = encode({ spec: { nodeName: "new" } });
  const bytes = Buffer.concat([first, second]);
  assert.equal(podNodeNameOf(bytes), "new");
  assert.equal(podNodeNameOf(bytes), Pod.decode(bytes).spec?.nodeName);
});

test("podNodeNameOf refuses truncated bytes as decode does", () => {
  const bytes = encode({ metadata: { name: "p" }, spec: { nodeName: "node-1" } });
  assert.throws(() => podNodeNameOf(bytes.subarray(0, bytes.length - 3)));
});
