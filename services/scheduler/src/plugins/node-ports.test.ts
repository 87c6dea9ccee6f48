// Unit tests for NodePorts: hostPort conflicts, with 0.0.0.0 binding every address.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Node, coreV1Pod } from "@kubeplane/api";
import { Code, CycleState } from "../framework/interface.js";
import type { NodeInfo, PodInfo } from "../framework/interface.js";
import { nodeInfoOf } from "../framework/node-info.js";
import { newPodInfo } from "../framework/pod-info.js";
import { ERR_REASON_NODE_PORTS, NodePorts } from "./node-ports.js";

type Port = Partial<coreV1Pod.ContainerPort>;
let seq = 0;
const pod = (...ports: Port[]): PodInfo =>
  newPodInfo(coreV1Pod.Pod.fromPartial({ metadata: { name: `p${++seq}`, namespace: "default" }, spec: { containers: [{ name: "c", ports }] } }));
const node = (...pods: PodInfo[]): NodeInfo => nodeInfoOf(coreV1Node.Node.fromPartial({ metadata: { name: "n1" } }), pods);

function filter(p: PodInfo, n: NodeInfo) {
  const pl = new NodePorts();
  const state = new CycleState();
  const pre = pl.preFilter(state, p);
  if (pre.status.code === Code.Skip) return pre.status;
  return pl.filter(state, p, n);
}

const conflict = { code: Code.Unschedulable, reasons: [ERR_REASON_NODE_PORTS] };

test("a pod without host ports skips Filter", () => {
  assert.equal(new NodePorts().preFilter(new CycleState(), pod({ containerPort: 80 })).status.code, Code.Skip);
});

test("the same port and protocol on the wildcard address conflicts", () => {
  assert.deepEqual(filter(pod({ hostPort: 8080 }), node(pod({ hostPort: 8080 }))), conflict);
  assert.equal(ERR_REASON_NODE_PORTS, "node(s) didn't have free ports for the requested pod ports");
});

test("another port or protocol does not conflict", () => {
  assert.equal(filter(pod({ hostPort: 8080 }), node(pod({ hostPort: 8081 }))).code, Code.Success);
  assert.equal(filter(pod({ hostPort: 53, protocol: "UDP" }), node(pod({ hostPort: 53, protocol: "TCP" }))).code, Code.Success);
  assert.equal(filter(pod({ hostPort: 80 }), node(pod({ hostPort: 8080 }))).code, Code.Success);
});

test("a wildcard request conflicts with the port on any specific address", () => {
  assert.deepEqual(filter(pod({ hostPort: 8080, hostIp: "0.0.0.0" }), node(pod({ hostPort: 8080, hostIp: "10.0.0.1" }))), conflict);
});

test("a specific address conflicts with the same address or a wildcard use, not another address", () => {
  assert.deepEqual(filter(pod({ hostPort: 8080, hostIp: "10.0.0.1" }), node(pod({ hostPort: 8080 }))), conflict);
  assert.deepEqual(filter(pod({ hostPort: 8080, hostIp: "10.0.0.1" }), node(pod({ hostPort: 8080, hostIp: "10.0.0.1" }))), conflict);
  assert.equal(filter(pod({ hostPort: 8080, hostIp: "10.0.0.2" }), node(pod({ hostPort: 8080, hostIp: "10.0.0.1" }))).code, Code.Success);
});

test("Filter without PreFilter's state is an Error", () => {
  assert.equal(new NodePorts().filter(new CycleState(), pod({ hostPort: 1 }), node()).code, Code.Error);
});
