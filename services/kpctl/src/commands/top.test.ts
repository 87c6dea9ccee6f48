// Tests of `kpctl top`'s tables: kubectl's columns, millicores and mebibytes, percentages of allocatable, unknowns.
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindForResource, type KindInfo, type kubeletV1 } from "@kubeplane/api";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";
import { formatCpu, formatMemory, nodesTable, podsTable } from "./top.js";

const summary = (node: string, cpu: number | undefined, memory: number, pods: kubeletV1.PodStats[] = []): kubeletV1.StatsResponse => ({
  node: { nodeName: node, cpu: { time: "", usageNanoCores: cpu, usageCoreNanoSeconds: 0 }, memory: { time: "", workingSetBytes: memory } },
  pods,
});

const podStats = (name: string, uid: string, cpu: number, memory: number): kubeletV1.PodStats => ({
  podRef: { name, namespace: "default", uid },
  containers: [],
  cpu: { time: "", usageNanoCores: cpu, usageCoreNanoSeconds: 0 },
  memory: { time: "", workingSetBytes: memory },
});

test("cpu prints as millicores and memory as Mi, like kubectl top", () => {
  assert.equal(formatCpu(12_400_000), "12m");
  assert.equal(formatCpu(1_500_000_000), "1500m");
  assert.equal(formatCpu(undefined), "<unknown>");
  assert.equal(formatMemory(34 * 1024 * 1024 + 1000), "34Mi");
});

test("top nodes: usage and its share of allocatable; a node without stats is unknown", () => {
  const nodes = [
    { metadata: { name: "n1" }, status: { allocatable: { cpu: "2", memory: "4Gi" } } },
    { metadata: { name: "n2" }, status: { allocatable: { cpu: "4", memory: "8Gi" } } },
  ];
  const stats = new Map([["n1", summary("n1", 500_000_000, 1024 * 1024 * 1024)], ["n2", undefined]]);
  assert.equal(
    nodesTable(nodes, stats),
    ["NAME   CPU(cores)   CPU(%)      MEMORY(bytes)   MEMORY(%)", "n1     500m         25%         1024Mi          25%", "n2     <unknown>    <unknown>   <unknown>       <unknown>", ""].join("\n"),
  );
});

test("top pods: only pods with stats, by uid, with a NAMESPACE column across namespaces", () => {
  const pods = [
    { metadata: { name: "web", namespace: "default", uid: "u1" }, spec: { nodeName: "n1" } },
    { metadata: { name: "pending", namespace: "default", uid: "u2" }, spec: {} },
  ];
  const stats = new Map([["n1", summary("n1", 1, 1, [podStats("web", "u1", 3_000_000, 5 * 1024 * 1024)])]]);
  assert.equal(podsTable(pods, stats, false), "NAME   CPU(cores)   MEMORY(bytes)\nweb    3m           5Mi\n");
  assert.equal(podsTable(pods, stats, true), "NAMESPACE   NAME   CPU(cores)   MEMORY(bytes)\ndefault     web    3m           5Mi\n");
  assert.equal(podsTable(pods, new Map(), false), "");
});

test("top nodes asks the client for each node's stats and reports a node that does not answer", async () => {
  const api = new FakeApi();
  const nodes = kindForResource("", "nodes") as KindInfo;
  api.seed(nodes, { metadata: { name: "n1" }, status: { allocatable: { cpu: "1", memory: "1Gi" } } });
  api.seed(nodes, { metadata: { name: "n2" }, status: { allocatable: { cpu: "1", memory: "1Gi" } } });
  api.nodeSummaries.set("n1", summary("n1", 250_000_000, 256 * 1024 * 1024));
  const io = fakeIo(api);
  assert.equal(await run(["top", "nodes"], io), 0);
  assert.deepEqual(api.calls.filter((c) => c.startsWith("stats")).sort(), ["stats n1", "stats n2"]);
  assert.match(io.stdout.text, /^n1 +250m +25% +256Mi +25%$/m);
  assert.match(io.stdout.text, /^n2 +<unknown> +<unknown> +<unknown> +<unknown>$/m);
  assert.equal(io.stderr.text, 'error: node n2: no kubelet answers for node "n2"\n');
});
