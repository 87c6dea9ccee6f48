// The attributes each RPC is authorized as, and reading an object's name and namespace without decoding it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Metadata } from "@grpc/grpc-js";
import { apiserverV1, coreV1Pod, POD_STREAM_NAME_KEY, POD_STREAM_NAMESPACE_KEY, podStreamTarget } from "@kubeplane/api";
import { callAttributes, peekMeta } from "./call-attributes.js";

const user = { username: "alice", groups: [] };
const pods = { group: "", version: "v1", resource: "pods" };
const pod = coreV1Pod.Pod.fromPartial({ apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "team", labels: { a: "b" } }, spec: { nodeName: "n1" } });
const protobuf = { data: Buffer.from(coreV1Pod.Pod.encode(pod).finish()), encoding: apiserverV1.Encoding.ENCODING_PROTOBUF };
const json = { data: Buffer.from(JSON.stringify({ metadata: { name: "web", namespace: "team" } })), encoding: apiserverV1.Encoding.ENCODING_JSON };

test("peekMeta finds metadata in protobuf and JSON objects, and gives up quietly on garbage", () => {
  assert.deepEqual(peekMeta(protobuf), { name: "web", namespace: "team" });
  assert.deepEqual(peekMeta(json), { name: "web", namespace: "team" });
  assert.deepEqual(peekMeta({ data: Buffer.from([0xff, 0xff]), encoding: apiserverV1.Encoding.ENCODING_PROTOBUF }), { name: "", namespace: "" });
  assert.deepEqual(peekMeta({ data: Buffer.from("{"), encoding: apiserverV1.Encoding.ENCODING_JSON }), { name: "", namespace: "" });
});

test("each RPC maps to Kubernetes' verb, subresource, namespace and name", () => {
  const pick = (method: string, req: unknown) => {
    const a = callAttributes(method, req, user);
    return [a.verb, a.resource, a.subresource, a.namespace, a.name, a.resourceRequest ? "" : a.path].join(" ");
  };
  assert.equal(pick("create", { resource: pods, namespace: "", object: protobuf }), "create pods  team  ", "create: the namespace from the object, no name");
  assert.equal(pick("updateStatus", { resource: pods, namespace: "team", object: protobuf }), "update pods status team web ");
  assert.equal(pick("patch", { resource: pods, namespace: "team", name: "web", status: true }), "patch pods status team web ");
  assert.equal(pick("list", { resource: { group: "", version: "v1", resource: "nodes" }, namespace: "x" }), "list nodes    ", "cluster-scoped: no namespace");
  assert.equal(pick("podLogs", { namespace: "team", name: "web" }), "get pods log team web ");
  assert.equal(pick("podExec", { namespace: "team", name: "web" }), "create pods exec team web ");
  // The bidirectional streams are authorized on the pod their metadata names (no request exists yet).
  const md = new Metadata();
  md.set(POD_STREAM_NAMESPACE_KEY, "team");
  md.set(POD_STREAM_NAME_KEY, "web");
  assert.equal(pick("podExecStream", podStreamTarget(md)), "create pods exec team web ");
  assert.equal(pick("podAttach", podStreamTarget(md)), "create pods attach team web ");
  assert.equal(pick("podPortForward", podStreamTarget(md)), "create pods portforward team web ");
  assert.equal(pick("version", {}), "get     /version");
  assert.equal(pick("backup", {}), "get     /backup/etcd-snapshot", "a backup is a non-resource get (cluster-admin, system:kubeplane:etcd-backup)");
  assert.equal(pick("somethingNew", {}), "somethingNew     /grpc/somethingNew", "an unmapped RPC is closed to all but cluster-admin");
});
