// Tests of `kpctl top`'s tables from metrics.k8s.io objects: kubectl's columns, millicores and mebibytes, percentages of allocatable, unknowns.
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindForResource, nodeMetricsInfo, podMetricsInfo, type KindInfo } from "@kubeplane/api";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";
import { formatCpu, formatMemory, nodesTable, podsTable } from "./top.js";

const nodeMetrics = (name: string, cpu: string, memory: string) => ({ apiVersion: "metrics.k8s.io/v1beta1", kind: "NodeMetrics", metadata: { name }, timestamp: "", window: "15s", usage: { cpu, memory } });
const podMetrics = (name: string, namespace: string, containers: [string, string, string][], labels: Record<string, string> = {}) => ({
  apiVersion: "metrics.k8s.io/v1beta1",
  kind: "PodMetrics",
  metadata: { name, namespace, labels },
  timestamp: "",
  window: "15s",
  containers: containers.map(([c, cpu, memory]) => ({ name: c, usage: { cpu, memory } })),
});

test("cpu prints as millicores and memory as Mi, like kubectl top", () => {
  assert.equal(formatCpu(12_400_000), "12m");
  assert.equal(formatCpu(1_500_000_000), "1500m");
  assert.equal(formatCpu(undefined), "<unknown>");
  assert.equal(formatMemory(34 * 1024 * 1024 + 1000), "34Mi");
});

test("top nodes: usage and its share of allocatable; a node without metrics is unknown", () => {
  const nodes = [
    { metadata: { name: "n1" }, status: { allocatable: { cpu: "2", memory: "4Gi" } } },
    { metadata: { name: "n2" }, status: { allocatable: { cpu: "4", memory: "8Gi" } } },
  ];
  assert.equal(
    nodesTable(nodes, [nodeMetrics("n1", "500000000n", "1048576Ki")]),
    ["NAME   CPU(cores)   CPU(%)      MEMORY(bytes)   MEMORY(%)", "n1     500m         25%         1024Mi          25%", "n2     <unknown>    <unknown>   <unknown>       <unknown>", ""].join("\n"),
  );
});

test("top pods: containers summed, a NAMESPACE column across namespaces, one line per container with --containers", () => {
  const web = podMetrics("web", "default", [["app", "2000000n", "3072Ki"], ["sidecar", "1m", "2Mi"]]);
  assert.equal(podsTable([web], false), "NAME   CPU(cores)   MEMORY(bytes)\nweb    3m           5Mi\n");
  assert.equal(podsTable([web], true), "NAMESPACE   NAME   CPU(cores)   MEMORY(bytes)\ndefault     web    3m           5Mi\n");
  assert.equal(podsTable([web], false, true), "POD   NAME      CPU(cores)   MEMORY(bytes)\nweb   app       2m           3Mi\nweb   sidecar   1m           2Mi\n");
  assert.equal(podsTable([], false), "");
});

test("top nodes and top pods read metrics.k8s.io, with a label selector and --sort-by", async () => {
  const api = new FakeApi();
  const nodes = kindForResource("", "nodes") as KindInfo;
  api.seed(nodes, { metadata: { name: "n1" }, status: { allocatable: { cpu: "1", memory: "1Gi" } } });
  api.seed(nodes, { metadata: { name: "n2" }, status: { allocatable: { cpu: "1", memory: "1Gi" } } });
  api.seed(nodeMetricsInfo as unknown as KindInfo, nodeMetrics("n1", "250m", "256Mi"));
  const io = fakeIo(api);
  assert.equal(await run(["top", "nodes"], io), 0);
  assert.match(io.stdout.text, /^n1 +250m +25% +256Mi +25%$/m);
  assert.match(io.stdout.text, /^n2 +<unknown> +<unknown> +<unknown> +<unknown>$/m);

  api.seed(podMetricsInfo as unknown as KindInfo, podMetrics("a", "default", [["c", "10m", "1Mi"]], { app: "web" }));
  api.seed(podMetricsInfo as unknown as KindInfo, podMetrics("b", "default", [["c", "30m", "1Mi"]], { app: "web" }));
  api.seed(podMetricsInfo as unknown as KindInfo, podMetrics("z", "default", [["c", "90m", "1Mi"]], { app: "db" }));
  const pods = fakeIo(api);
  assert.equal(await run(["top", "pods", "-l", "app=web", "--sort-by", "cpu"], pods), 0);
  assert.equal(pods.stdout.text, "NAME   CPU(cores)   MEMORY(bytes)\nb      30m          1Mi\na      10m          1Mi\n");
});
