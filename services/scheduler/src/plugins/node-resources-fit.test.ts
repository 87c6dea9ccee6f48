// Unit tests for NodeResourcesFit: one reason per insufficient resource, LeastAllocated/MostAllocated order.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Node, coreV1Pod } from "@kubeplane/api";
import { Code, CycleState } from "../framework/interface.js";
import type { NodeInfo, PodInfo } from "../framework/interface.js";
import { nodeInfoOf } from "../framework/node-info.js";
import { newPodInfo } from "../framework/pod-info.js";
import { InvalidPluginArgsError } from "./helper/plugin-args.js";
import { NodeResourcesFit } from "./node-resources-fit.js";

type List = Record<string, string>;
let seq = 0;
const pod = (requests: List = {}, initRequests?: List): PodInfo =>
  newPodInfo(
    coreV1Pod.Pod.fromPartial({
      metadata: { name: `p${++seq}`, namespace: "default" },
      spec: {
        containers: [{ name: "c", resources: { requests } }],
        initContainers: initRequests ? [{ name: "init", resources: { requests: initRequests } }] : [],
      },
    }),
  );
const node = (name: string, allocatable: List, pods: PodInfo[] = []): NodeInfo =>
  nodeInfoOf(coreV1Node.Node.fromPartial({ metadata: { name }, status: { allocatable: { pods: "110", ...allocatable } } }), pods);

function filter(pl: NodeResourcesFit, p: PodInfo, n: NodeInfo) {
  const state = new CycleState();
  assert.equal(pl.preFilter(state, p).status.code, Code.Success);
  return pl.filter(state, p, n);
}

function scores(pl: NodeResourcesFit, p: PodInfo, nodes: NodeInfo[]): Record<string, number> {
  const state = new CycleState();
  assert.equal(pl.preScore(state, p).code, Code.Success);
  return Object.fromEntries(nodes.map((n) => [n.name, pl.score(state, p, n)]));
}

const small = { cpu: "4", memory: "8Gi", "ephemeral-storage": "10Gi" };

test("a pod whose requests fit the node's free allocatable passes", () => {
  const n = node("n1", small, [pod({ cpu: "3", memory: "2Gi" })]);
  assert.equal(filter(new NodeResourcesFit(undefined), pod({ cpu: "1", memory: "6Gi" }), n).code, Code.Success);
  // A pod with no requests needs only a pod slot.
  assert.equal(filter(new NodeResourcesFit(undefined), pod(), n).code, Code.Success);
});

test("each insufficient resource gives its own reason, Unschedulable so preemption can help", () => {
  const n = node("n1", small, [pod({ cpu: "3", memory: "2Gi" })]);
  assert.deepEqual(filter(new NodeResourcesFit(undefined), pod({ cpu: "2", memory: "7Gi", "ephemeral-storage": "11Gi" }), n), {
    code: Code.Unschedulable,
    reasons: ["Insufficient cpu", "Insufficient memory", "Insufficient ephemeral-storage"],
  });
});

test("a node at its pod limit reports Too many pods", () => {
  const n = node("n1", { ...small, pods: "1" }, [pod()]);
  assert.deepEqual(filter(new NodeResourcesFit(undefined), pod({ cpu: "100m" }), n), { code: Code.Unschedulable, reasons: ["Too many pods"] });
});

test("extended resources are checked by name unless ignored", () => {
  const n = node("n1", { ...small, "nvidia.com/gpu": "1" });
  const p = pod({ "nvidia.com/gpu": "2" });
  assert.deepEqual(filter(new NodeResourcesFit(undefined), p, n).reasons, ["Insufficient nvidia.com/gpu"]);
  assert.deepEqual(filter(new NodeResourcesFit(undefined), pod({ "example.com/foo": "1" }), n).reasons, ["Insufficient example.com/foo"]);
  assert.equal(filter(new NodeResourcesFit({ ignoredResources: ["nvidia.com/gpu"] }), p, n).code, Code.Success);
  assert.equal(filter(new NodeResourcesFit({ ignoredResourceGroups: ["nvidia.com"] }), p, n).code, Code.Success);
});

test("an init container's larger request is the pod's effective request", () => {
  const n = node("n1", { cpu: "2", memory: "8Gi" });
  assert.deepEqual(filter(new NodeResourcesFit(undefined), pod({ cpu: "1" }, { cpu: "3" }), n).reasons, ["Insufficient cpu"]);
});

test("Filter without PreFilter's state is an Error, not a verdict", () => {
  const status = new NodeResourcesFit(undefined).filter(new CycleState(), pod(), node("n1", small));
  assert.equal(status.code, Code.Error);
});

const cluster = () => [
  node("empty", small),
  node("half", small, [pod({ cpu: "2", memory: "4Gi" })]),
  node("full", small, [pod({ cpu: "3", memory: "6Gi" })]),
];

test("LeastAllocated (the default) prefers the emptier node", () => {
  assert.deepEqual(scores(new NodeResourcesFit(undefined), pod({ cpu: "1", memory: "2Gi" }), cluster()), { empty: 75, half: 25, full: 0 });
});

test("MostAllocated prefers the fuller node", () => {
  const pl = new NodeResourcesFit({ scoringStrategy: { type: "MostAllocated" } });
  assert.deepEqual(scores(pl, pod({ cpu: "1", memory: "2Gi" }), cluster()), { empty: 25, half: 75, full: 100 });
});

test("scoring counts kube-scheduler's non-zero defaults for pods without requests", () => {
  // cpu (1000-100)/1000 → 90, memory (1000Mi-200Mi)/1000Mi → 80, mean 85.
  const n = node("n1", { cpu: "1", memory: "1000Mi" });
  assert.deepEqual(scores(new NodeResourcesFit(undefined), pod(), [n]), { n1: 85 });
  // A best-effort pod already on the node counts its defaults too: cpu 80, memory 60.
  const busy = node("n2", { cpu: "1", memory: "1000Mi" }, [pod()]);
  assert.deepEqual(scores(new NodeResourcesFit(undefined), pod(), [busy]), { n2: 70 });
});

test("resource weights and an over-committed node follow kube-scheduler's arithmetic", () => {
  const pl = new NodeResourcesFit({ scoringStrategy: { type: "LeastAllocated", resources: [{ name: "cpu", weight: 3 }, { name: "memory", weight: 1 }] } });
  // cpu (4000-1000)/4000 → 75 ×3, memory requested beyond allocatable → 0 ×1: 225/4 → 56.
  assert.deepEqual(scores(pl, pod({ cpu: "1", memory: "9Gi" }), [node("n1", small)]), { n1: 56 });
  const most = new NodeResourcesFit({ scoringStrategy: { type: "MostAllocated" } });
  assert.deepEqual(scores(most, pod({ cpu: "8", memory: "16Gi" }), [node("n1", small)]), { n1: 100 });
});

test("invalid args are refused at construction", () => {
  assert.throws(() => new NodeResourcesFit({ scoringStrategy: { type: "RequestedToCapacityRatio" } }), InvalidPluginArgsError);
  assert.throws(() => new NodeResourcesFit({ scoringStrategy: { resources: [{ name: "cpu", weight: 0 }] } }), InvalidPluginArgsError);
});
