// Integration test of the cloud-node controller on a real apiserver: initialisation from the inventory, deletion when a machine leaves it, the shutdown taint.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { coreV1Node, isNotFound } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { nodeKind, SHUTDOWN_TAINT, UNINITIALIZED_TAINT } from "../src/controllers/cloud-node.js";
import { metricValue, startCcmCluster, type CcmCluster, type MachineYaml } from "./harness.js";
import type { CloudControllerManager } from "../src/index.js";

type Node = coreV1Node.Node;

const m1: MachineYaml = {
  name: "m1",
  addresses: [{ type: "InternalIP", address: "10.213.1.11" }, { type: "ExternalIP", address: "10.213.2.11" }],
  zone: "rack-a",
  region: "dc-1",
  instanceType: "metal.large",
  labels: { "example.com/gpu": "none" },
};
const m2: MachineYaml = { name: "m2", addresses: [{ type: "InternalIP", address: "10.213.1.12" }], zone: "rack-b", region: "dc-1", instanceType: "metal.small" };
const m3: MachineYaml = { name: "m3", addresses: [{ type: "InternalIP", address: "10.213.1.13" }] };

/** A Node as a kubelet with `--cloud-provider=external` registers it. */
function registered(name: string, opts: { ready?: boolean } = {}): Node {
  return coreV1Node.Node.fromPartial({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name } },
    spec: { taints: [{ key: UNINITIALIZED_TAINT, value: "true", effect: "NoSchedule" }] },
    status: {
      addresses: [{ type: "Hostname", address: name }],
      conditions: opts.ready ? [{ type: "Ready", status: "True", reason: "KubeletReady", message: "", lastHeartbeatTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"), lastTransitionTime: "" }] : [],
    },
  });
}

async function getNode(cluster: CcmCluster, name: string): Promise<Node | undefined> {
  try {
    return (await cluster.client.get(nodeKind, "", name)) as Node;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function createNode(cluster: CcmCluster, node: Node): Promise<void> {
  await cluster.client.create(nodeKind, node);
  // The kubelet posts its status through the subresource; the controller may write in between (a conflict: retry).
  await waitFor(async () => {
    const current = (await cluster.client.get(nodeKind, "", node.metadata!.name)) as Node;
    if (node.status?.conditions.length === 0) return true;
    current.status = coreV1Node.NodeStatus.fromPartial({ ...current.status, conditions: node.status?.conditions });
    await cluster.client.updateStatus(nodeKind, current);
    return true;
  }, { message: `status of ${node.metadata!.name} posted` });
}

describe("cloud-node controller", () => {
  let cluster: CcmCluster;
  let ccm: CloudControllerManager;

  before(async () => {
    cluster = await startCcmCluster({ machines: [m1, m2, m3] });
    ccm = await cluster.startCcm({ controllers: ["cloud-node"] });
  });

  after(async () => {
    await cluster?.stop();
  });

  it("initialises a Node named in the inventory: labels, addresses, providerID, taint removed", async () => {
    await createNode(cluster, registered("m1"));
    const node = await waitFor(async () => {
      const n = await getNode(cluster, "m1");
      return n && !n.spec?.taints.some((t) => t.key === UNINITIALIZED_TAINT) ? n : undefined;
    }, { timeoutMs: 15_000, message: "m1 to lose the uninitialized taint" });
    assert.equal(node.spec?.providerId, "baremetal://m1");
    assert.equal(node.metadata?.labels["topology.kubernetes.io/zone"], "rack-a");
    assert.equal(node.metadata?.labels["topology.kubernetes.io/region"], "dc-1");
    assert.equal(node.metadata?.labels["node.kubernetes.io/instance-type"], "metal.large");
    assert.equal(node.metadata?.labels["example.com/gpu"], "none");
    assert.equal(node.metadata?.labels["kubernetes.io/hostname"], "m1", "the kubelet's labels stay");
    assert.deepEqual(
      node.status?.addresses.map((a) => `${a.type}=${a.address}`),
      ["InternalIP=10.213.1.11", "ExternalIP=10.213.2.11", "Hostname=m1"],
    );
    assert.ok((await metricValue(ccm, "cloud_provider_taint_removal_delay_seconds")) !== undefined);
  });

  it("deletes a not-Ready Node whose machine left the inventory, keeps a Ready one, and taints a shut-down machine", async () => {
    await createNode(cluster, registered("m2"));
    await createNode(cluster, registered("m3", { ready: true }));
    await waitFor(async () => (await getNode(cluster, "m2"))?.spec?.providerId === "baremetal://m2", { timeoutMs: 15_000, message: "m2 initialised" });
    await waitFor(async () => (await getNode(cluster, "m3"))?.spec?.providerId === "baremetal://m3", { timeoutMs: 15_000, message: "m3 initialised" });

    cluster.writeInventory([{ ...m1, shutdown: true }, m2]);
    const tainted = await waitFor(async () => {
      const n = await getNode(cluster, "m1");
      return n?.spec?.taints.some((t) => t.key === SHUTDOWN_TAINT && t.effect === "NoSchedule") ? n : undefined;
    }, { timeoutMs: 15_000, message: "m1 to get the shutdown taint" });
    assert.ok(tainted);
    // m3 left the inventory but its kubelet says Ready: evidence wins over the file, as in Kubernetes.
    const before = (await metricValue(ccm, "controller_runtime_reconcile_total", { controller: "cloud-node", result: "requeue_after" })) ?? 0;
    await waitFor(async () => ((await metricValue(ccm, "controller_runtime_reconcile_total", { controller: "cloud-node", result: "requeue_after" })) ?? 0) >= before + 6, {
      timeoutMs: 15_000,
      message: "two more rounds of node reconciles",
    });
    assert.ok(await getNode(cluster, "m3"), "a Ready node is not deleted");

    cluster.writeInventory([m1, { ...m3 }]);
    await waitFor(async () => (await getNode(cluster, "m2")) === undefined, { timeoutMs: 15_000, message: "m2 to be deleted" });
    await waitFor(async () => {
      const n = await getNode(cluster, "m1");
      return n && !n.spec?.taints.some((t) => t.key === SHUTDOWN_TAINT);
    }, { timeoutMs: 15_000, message: "m1's shutdown taint removed once the machine is up" });
  });
});
