// Tests of `kpctl drain` through run() over the fake apiserver: the --timeout while a budget refuses, and refused pods.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiErrors, kindFor } from "@kubeplane/api";
import type { KpctlClient } from "../cli-io.js";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";

const nodes = kindFor("v1", "Node")!;
const pods = kindFor("v1", "Pod")!;

function cluster(): FakeApi {
  const api = new FakeApi();
  api.seed(nodes, { apiVersion: "v1", kind: "Node", metadata: { name: "n1" }, spec: {} });
  api.seed(pods, { apiVersion: "v1", kind: "Pod", metadata: { name: "web-1", namespace: "default", ownerReferences: [{ kind: "ReplicaSet", name: "web", controller: true }] }, spec: { nodeName: "n1" }, status: { phase: "Running" } });
  return api;
}

/** An io whose client's evictions are always refused by a disruption budget. */
function refusingIo(api: FakeApi): ReturnType<typeof fakeIo> {
  const io = fakeIo(api);
  const connect = io.connect!;
  const evict = (): Promise<void> => Promise.reject(apiErrors.apiError("TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget."));
  return { ...io, connect: (opts) => ({ ...connect(opts), evict }) as KpctlClient };
}

test("drain gives up at --timeout while a disruption budget keeps refusing, leaving the node cordoned", async () => {
  const api = cluster();
  const io = refusingIo(api);
  const started = Date.now();
  assert.equal(await run(["drain", "n1", "--timeout=1s"], io), 1);
  assert.ok(Date.now() - started < 4_000, "gave up at the timeout, not after a 5 s retry");
  assert.match(io.stdout.text, /^node\/n1 cordoned\nevicting pod default\/web-1\n$/);
  assert.match(io.stderr.text, /error when evicting pods\/"web-1" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./);
  assert.match(io.stderr.text, /error: unable to drain node "n1" due to error: error when evicting pods\/"web-1" -n "default": global timeout reached: 1s, continuing command\.\.\./);
  const node = await api.get(nodes, "", "n1");
  assert.equal((node.spec as { unschedulable?: boolean }).unschedulable, true);
});

test("drain refuses DaemonSet pods without --ignore-daemonsets, in kubectl's words, and evicts nothing", async () => {
  const api = cluster();
  api.seed(pods, { apiVersion: "v1", kind: "Pod", metadata: { name: "proxy-1", namespace: "kube-system", ownerReferences: [{ kind: "DaemonSet", name: "proxy", controller: true }] }, spec: { nodeName: "n1" }, status: { phase: "Running" } });
  const io = refusingIo(api);
  assert.equal(await run(["drain", "n1"], io), 1);
  assert.equal(io.stdout.text, "node/n1 cordoned\n");
  assert.match(io.stderr.text, /cannot delete DaemonSet-managed Pods \(use --ignore-daemonsets to ignore\): kube-system\/proxy-1/);
});
