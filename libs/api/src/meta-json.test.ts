// Kubernetes JSON for meta/v1 objects survives the generated JSON and binary codecs unchanged.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ObjectMeta, Status } from "./gen/kubeplane/meta/v1/meta.js";

// As `kubectl get rs -o json` prints it (a ReplicaSet owned by a Deployment).
const replicaSetMeta = {
  name: "nginx-7c5ddbdf54",
  namespace: "default",
  uid: "0a5e3e1b-4f6c-4c0e-9d8b-2f1f3c8b9e11",
  resourceVersion: "48213",
  generation: 3,
  creationTimestamp: "2026-11-23T10:15:42Z",
  labels: { app: "nginx", "pod-template-hash": "7c5ddbdf54" },
  annotations: { "deployment.kubernetes.io/desired-replicas": "2", "deployment.kubernetes.io/revision": "1" },
  ownerReferences: [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "nginx",
      uid: "7d6c1b2a-9e8f-4a3b-8c7d-6e5f4a3b2c1d",
      controller: true,
      blockOwnerDeletion: true,
    },
  ],
  finalizers: ["foregroundDeletion"],
};

// As the Kubernetes apiserver answers an invalid Deployment (422).
const invalidStatus = {
  apiVersion: "v1",
  kind: "Status",
  metadata: {},
  status: "Failure",
  message: 'Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value',
  reason: "Invalid",
  details: {
    name: "web",
    group: "apps",
    kind: "Deployment",
    causes: [{ reason: "FieldValueRequired", message: "Required value", field: "spec.template.spec.containers[0].image" }],
  },
  code: 422,
};

test("ObjectMeta JSON from Kubernetes round-trips field for field", () => {
  assert.deepEqual(ObjectMeta.toJSON(ObjectMeta.fromJSON(replicaSetMeta)), replicaSetMeta);
});

test("ObjectMeta survives protobuf encoding, the form it is stored in", () => {
  const decoded = ObjectMeta.decode(ObjectMeta.encode(ObjectMeta.fromJSON(replicaSetMeta)).finish());
  assert.deepEqual(ObjectMeta.toJSON(decoded), replicaSetMeta);
});

test("empty fields are omitted from JSON, as Kubernetes omits them", () => {
  assert.deepEqual(ObjectMeta.toJSON(ObjectMeta.fromPartial({ name: "x" })), { name: "x" });
});

test("an explicit false for an optional boolean is kept, unlike an absent one", () => {
  const json = ObjectMeta.toJSON(
    ObjectMeta.fromPartial({ ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: "p", uid: "u", controller: false }] }),
  ) as { ownerReferences: Array<Record<string, unknown>> };
  assert.equal(json.ownerReferences[0]?.controller, false);
  assert.equal("blockOwnerDeletion" in (json.ownerReferences[0] ?? {}), false);
});

test("a Kubernetes Invalid Status round-trips with its field causes", () => {
  assert.deepEqual(Status.toJSON(Status.fromJSON(invalidStatus)), invalidStatus);
});
