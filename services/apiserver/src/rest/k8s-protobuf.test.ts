// Kubernetes' protobuf envelope read into JSON for the kinds kubectl's typed clients send as protobuf.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeK8sProtobuf, PROTOBUF_MAGIC } from "./k8s-protobuf.js";

/** Length-delimited field `n` holding `bytes`. */
function field(n: number, bytes: Buffer | string): Buffer {
  const data = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
  return Buffer.concat([Buffer.from([(n << 3) | 2, data.length]), data]);
}

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  return Buffer.concat([PROTOBUF_MAGIC, field(1, Buffer.concat([field(1, apiVersion), field(2, kind)])), field(2, raw)]);
}

test("a SelfSubjectAccessReview (kubectl auth can-i) decodes by Kubernetes' field numbers", () => {
  const attrs = Buffer.concat([field(1, "team"), field(2, "create"), field(3, "apps"), field(5, "deployments")]);
  const raw = Buffer.concat([field(1, Buffer.alloc(0)), field(2, field(1, attrs))]);
  assert.deepEqual(decodeK8sProtobuf(envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", raw)), {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectAccessReview",
    metadata: {},
    spec: { resourceAttributes: { namespace: "team", verb: "create", group: "apps", resource: "deployments" } },
  });
});

test("a ConfigMap's metadata, labels and data (map entries)", () => {
  const meta = Buffer.concat([field(1, "cfg"), field(11, Buffer.concat([field(1, "app"), field(2, "web")]))]);
  const raw = Buffer.concat([field(1, meta), field(2, Buffer.concat([field(1, "k"), field(2, "v")])), field(3, Buffer.concat([field(1, "b"), field(2, Buffer.from([1, 2]))]))]);
  assert.deepEqual(decodeK8sProtobuf(envelope("v1", "ConfigMap", raw)), {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "cfg", labels: { app: "web" } },
    data: { k: "v" },
    binaryData: { b: "AQI=" },
  });
});

test("a kind it does not know is UnsupportedMediaType; a truncated body is BadRequest", () => {
  assert.throws(() => decodeK8sProtobuf(envelope("networking.k8s.io/v1", "Ingress", Buffer.alloc(0))), (err: { code?: number }) => err.code === 415);
  const truncated = envelope("v1", "ConfigMap", field(1, field(1, "cfg"))).subarray(0, -2);
  assert.throws(() => decodeK8sProtobuf(truncated), (err: { code?: number }) => err.code === 400);
});

test("a field it does not read must be empty: Go's empty structs pass, a value is refused rather than dropped", () => {
  const varint = (n: number, v: number): Buffer => Buffer.from([n << 3, v]);
  const meta = field(1, field(1, "web"));
  // strategy (4) as Go writes an empty DeploymentStrategy: its type string present but empty.
  const emptyStrategy = field(4, field(1, ""));
  const ok = decodeK8sProtobuf(envelope("apps/v1", "Deployment", Buffer.concat([meta, field(2, Buffer.concat([varint(1, 2), emptyStrategy]))])));
  assert.deepEqual(ok["spec"], { replicas: 2 });
  const minReadySeconds = varint(5, 10);
  assert.throws(
    () => decodeK8sProtobuf(envelope("apps/v1", "Deployment", Buffer.concat([meta, field(2, Buffer.concat([varint(1, 2), minReadySeconds]))]))),
    (err: { code?: number; message: string }) => err.code === 415 && /DeploymentSpec carries field 5/.test(err.message),
  );
});
