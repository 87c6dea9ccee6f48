// Integration tests of the kubelet's node agent on a real apiserver, etcd and NATS: registration, status, Lease.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, platform, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { Registry } from "prom-client";
import { bytes, coreV1Node, kindFor, type coordinationV1, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { createLogger } from "@kubeplane/service-kit";
import { clientTls, startControlPlane, waitFor, type ControlPlane } from "@kubeplane/testing";
import { startNodeAgent, type NodeAgent, type NodeAgentOptions, type NodeHealth } from "../src/node/index.js";
import { goArch } from "../src/node/host-info.js";
import { NodeStatusSync } from "../src/node/node-status.js";
import type { Image } from "../src/runtime/types.js";

type Node = coreV1Node.Node;
type Lease = coordinationV1.Lease;
const nodes = kindFor("v1", "Node") as KindInfo<Node>;
const leases = kindFor("coordination.k8s.io/v1", "Lease") as KindInfo<Lease>;

const SYNC_MS = 200;
const RENEW_MS = 150;

describe("node agent", () => {
  let cp: ControlPlane;
  let client: ApiClient;
  let rootDir: string;
  const agents: NodeAgent[] = [];
  const logger = createLogger("kubelet-node-test", "warn");

  before(async () => {
    cp = await startControlPlane();
    client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
    rootDir = mkdtempSync(join(tmpdir(), "kubelet-node-"));
  });

  after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    client?.close();
    await cp?.stop();
    if (rootDir) rmSync(rootDir, { recursive: true, force: true });
  });

  const start = (overrides: Partial<NodeAgentOptions> & { nodeName: string }): NodeAgent => {
    const agent = startNodeAgent({
      client,
      logger,
      registry: new Registry(),
      rootDir: join(rootDir, "not-yet-created"),
      nodeIps: ["127.0.0.1"],
      kubeletVersion: "v1.31.0-kubeplane",
      containerRuntimeVersion: "containerd://1.6.20",
      kubeletPort: 10250,
      statusUpdateIntervalMs: SYNC_MS,
      statusReportIntervalMs: 60_000,
      leaseRenewIntervalMs: RENEW_MS,
      ...overrides,
    });
    agents.push(agent);
    return agent;
  };

  const getNode = async (name: string): Promise<Node> => (await client.get(nodes, "", name)) as Node;
  const getLease = async (name: string): Promise<Lease> => (await client.get(leases, "kube-node-lease", name)) as Lease;
  const ready = (n: Node): coreV1Node.NodeCondition | undefined => n.status?.conditions.find((c) => c.type === "Ready");

  it("registers the node with the host's capacity, allocatable, system info, addresses, labels and taints, Ready", async () => {
    const registry = new Registry();
    const agent = start({
      nodeName: "node-a",
      registry,
      labels: { "node-role.kubernetes.io/worker": "", zone: "z1" },
      taints: [coreV1Node.Taint.fromPartial({ key: "dedicated", value: "infra", effect: "NoSchedule" })],
      maxPods: 42,
      systemReserved: { cpu: "500m", memory: "100Mi" },
      kubeReserved: { cpu: "250m", memory: "50Mi" },
    });
    const registered = await agent.waitForRegistration();
    assert.equal(registered.metadata?.name, "node-a");
    const node = await getNode("node-a");
    const status = node.status!;
    assert.equal(status.capacity.cpu, String(availableParallelism()));
    assert.equal(status.capacity.pods, "42");
    assert.ok(bytes(status.capacity.memory!) > 64 * 2 ** 20, `memory ${status.capacity.memory}`);
    assert.ok(bytes(status.capacity["ephemeral-storage"]!) > 0);
    const cpuMillis = availableParallelism() * 1000 - 750;
    assert.equal(status.allocatable.cpu, `${cpuMillis}m`);
    assert.equal(bytes(status.allocatable.memory!), bytes(status.capacity.memory!) - 150 * 2 ** 20);
    assert.equal(status.allocatable.pods, "42");
    assert.equal(status.allocatable["ephemeral-storage"], status.capacity["ephemeral-storage"]);
    const info = status.nodeInfo!;
    assert.equal(info.kubeletVersion, "v1.31.0-kubeplane");
    assert.equal(info.containerRuntimeVersion, "containerd://1.6.20");
    assert.equal(info.operatingSystem, platform());
    assert.equal(info.architecture, goArch(process.arch));
    assert.match(info.kernelVersion, /^\d+\.\d+/);
    assert.notEqual(info.osImage, "");
    assert.match(info.bootId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(status.addresses, [{ type: "InternalIP", address: "127.0.0.1" }, { type: "Hostname", address: "node-a" }]);
    assert.equal(status.daemonEndpoints?.kubeletEndpoint?.port, 10250);
    const labels = node.metadata!.labels;
    assert.equal(labels["kubernetes.io/hostname"], "node-a");
    assert.equal(labels["kubernetes.io/os"], platform());
    assert.equal(labels["kubernetes.io/arch"], goArch(process.arch));
    assert.equal(labels.zone, "z1");
    assert.equal(labels["node-role.kubernetes.io/worker"], "");
    assert.deepEqual(node.spec?.taints.map((t) => `${t.key}=${t.value}:${t.effect}`), ["dedicated=infra:NoSchedule"]);
    assert.equal(ready(node)?.status, "True");
    assert.equal(ready(node)?.reason, "KubeletReady");
    for (const type of ["MemoryPressure", "DiskPressure", "PIDPressure"]) {
      assert.equal(status.conditions.find((c) => c.type === type)?.status, "False", type);
    }
    const text = await registry.metrics();
    assert.match(text, /kubelet_node_name\{node="node-a"\} 1/);
  });

  it("keeps a Lease in kube-node-lease owned by the node, and renews it", async () => {
    const agent = start({ nodeName: "node-b" });
    const node = await agent.waitForRegistration();
    const first = await waitFor(() => getLease("node-b"), { message: "node-b's lease" });
    assert.equal(first.spec?.holderIdentity, "node-b");
    assert.equal(first.spec?.leaseDurationSeconds, 40);
    assert.deepEqual(first.metadata?.ownerReferences.map((o) => [o.kind, o.name, o.uid]), [["Node", "node-b", node.metadata!.uid]]);
    const renewed = await waitFor(async () => {
      const l = await getLease("node-b");
      return Date.parse(l.spec!.renewTime) > Date.parse(first.spec!.renewTime) && l;
    }, { timeoutMs: 5000, message: "renewTime to advance" });
    assert.match(renewed.spec!.renewTime, /\.\d{6}Z$/);
  });

  it("reports Ready False with the health message within the sync interval, and Ready True again when healthy; each flip is an event", async () => {
    let health: NodeHealth = { ready: true };
    const recorded: string[] = [];
    const agent = start({ nodeName: "node-c", healthy: () => health, recordEvent: (n, type, reason, message) => recorded.push(`${n.metadata?.name} ${type} ${reason}: ${message}`) });
    await agent.waitForRegistration();
    const readyAt = ready(await getNode("node-c"))!;
    assert.equal(readyAt.status, "True");
    health = { ready: false, message: "container runtime is down" };
    // One sync interval, plus slack for a shared, loaded machine.
    const notReady = await waitFor(async () => {
      const c = ready(await getNode("node-c"));
      return c?.status === "False" && c;
    }, { timeoutMs: SYNC_MS + 2000, message: "Ready False" });
    assert.equal(notReady.reason, "KubeletNotReady");
    assert.equal(notReady.message, "container runtime is down");
    health = { ready: true };
    agent.syncStatus();
    const back = await waitFor(async () => {
      const c = ready(await getNode("node-c"));
      return c?.status === "True" && c;
    }, { timeoutMs: SYNC_MS + 2000, message: "Ready True again" });
    assert.equal(back.reason, "KubeletReady");
    assert.ok(Date.parse(back.lastTransitionTime) >= Date.parse(notReady.lastTransitionTime));
    // The registration's first status (Ready True) is no flip: only the two transitions are events.
    await waitFor(() => recorded.length >= 2, { timeoutMs: 2000, message: "the flips' events" });
    assert.deepEqual(recorded, [
      "node-c Normal NodeNotReady: Node node-c status is now: NodeNotReady",
      "node-c Normal NodeReady: Node node-c status is now: NodeReady",
    ]);
  });

  it("syncs the status at once when asked, without waiting for the interval", async () => {
    let health: NodeHealth = { ready: true };
    const agent = start({ nodeName: "node-h", healthy: () => health, statusUpdateIntervalMs: 3_600_000 });
    await agent.waitForRegistration();
    await waitFor(async () => ready(await getNode("node-h"))?.status === "True", { message: "node-h Ready" });
    health = { ready: false, message: "network plugin not ready" };
    agent.syncStatus();
    const c = await waitFor(async () => {
      const r = ready(await getNode("node-h"));
      return r?.status === "False" && r;
    }, { timeoutMs: 5000, message: "Ready False after syncStatus()" });
    assert.equal(c.message, "network plugin not ready");
  });

  it("writes the status only when it changed (or a report is due)", async () => {
    const agent = start({ nodeName: "node-d", statusUpdateIntervalMs: 3_600_000 });
    await agent.waitForRegistration();
    let images: Image[] = [];
    const registered = (await getNode("node-d")).status!;
    const sync = new NodeStatusSync({
      client,
      logger,
      nodeName: "node-d",
      reportIntervalMs: 60_000,
      source: {
        capacity: registered.capacity,
        allocatable: registered.allocatable,
        nodeInfo: registered.nodeInfo!,
        addresses: registered.addresses,
        kubeletPort: 10250,
        images: async () => images.map((i) => ({ names: i.repoTags, sizeBytes: i.size })),
        health: () => ({ ready: true }),
      },
    });
    const signal = new AbortController().signal;
    assert.equal(await sync.syncOnce(signal), false, "nothing changed since registration");
    const rv = (await getNode("node-d")).metadata!.resourceVersion;
    assert.equal(await sync.syncOnce(signal), false);
    assert.equal((await getNode("node-d")).metadata!.resourceVersion, rv);
    images = [{ id: "sha256:1", repoTags: ["registry.local/busybox:1"], repoDigests: [], size: 1234 }];
    assert.equal(await sync.syncOnce(signal), true, "a new image is a change");
    assert.deepEqual((await getNode("node-d")).status!.images, [{ names: ["registry.local/busybox:1"], sizeBytes: 1234 }]);
  });

  it("reports the biggest 50 images, named by tags then digests", async () => {
    const images: Image[] = Array.from({ length: 60 }, (_, i) => ({
      id: `sha256:${i}`,
      repoTags: [`registry.local/img-${i}:v1`],
      repoDigests: [`registry.local/img-${i}@sha256:${String(i).padStart(64, "0")}`],
      size: 1000 + i,
    }));
    const agent = start({ nodeName: "node-e", images: async () => images });
    await agent.waitForRegistration();
    const reported = (await getNode("node-e")).status!.images;
    assert.equal(reported.length, 50);
    assert.deepEqual(reported[0], { names: ["registry.local/img-59:v1", `registry.local/img-59@sha256:${"59".padStart(64, "0")}`], sizeBytes: 1059 });
    assert.equal(reported.at(-1)?.sizeBytes, 1010);
  });

  it("on restart, keeps what others set on the existing Node (podCIDR, labels, taints) and adds its labels", async () => {
    await client.create(nodes, coreV1Node.Node.fromPartial({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "node-f", labels: { "set-by": "admin" } },
      spec: { podCidr: "10.244.7.0/24", podCidrs: ["10.244.7.0/24"], taints: [{ key: "maintenance", value: "", effect: "NoSchedule" }] },
    }));
    const agent = start({ nodeName: "node-f", labels: { zone: "z2" }, taints: [coreV1Node.Taint.fromPartial({ key: "ignored", effect: "NoSchedule" })] });
    await agent.waitForRegistration();
    const node = await waitFor(async () => {
      const n = await getNode("node-f");
      return ready(n)?.status === "True" && n;
    }, { message: "node-f Ready" });
    assert.equal(node.spec?.podCidr, "10.244.7.0/24");
    assert.deepEqual(node.spec?.taints.map((t) => t.key), ["maintenance"]);
    assert.equal(node.metadata?.labels["set-by"], "admin");
    assert.equal(node.metadata?.labels.zone, "z2");
    assert.equal(node.metadata?.labels["kubernetes.io/hostname"], "node-f");
  });

  it("with --cloud-provider=external's taint, the node is created uninitialized, and a restart does not re-add it once removed", async () => {
    const uninitialized = coreV1Node.Taint.fromPartial({ key: "node.cloudprovider.kubernetes.io/uninitialized", value: "true", effect: "NoSchedule" });
    const dedicated = coreV1Node.Taint.fromPartial({ key: "dedicated", value: "infra", effect: "NoSchedule" });
    const first = start({ nodeName: "node-i", taints: [dedicated, uninitialized] });
    await first.waitForRegistration();
    const created = await getNode("node-i");
    assert.deepEqual(created.spec?.taints.map((t) => `${t.key}=${t.value}:${t.effect}`), ["dedicated=infra:NoSchedule", "node.cloudprovider.kubernetes.io/uninitialized=true:NoSchedule"]);
    await first.stop();

    // The cloud-controller-manager initialises the node and removes its taint; a kubelet restart must not put it back.
    created.spec!.taints = created.spec!.taints.filter((t) => t.key !== uninitialized.key);
    await client.update(nodes, created);
    const second = start({ nodeName: "node-i", taints: [dedicated, uninitialized] });
    await second.waitForRegistration();
    const node = await waitFor(async () => {
      const n = await getNode("node-i");
      return ready(n)?.status === "True" && n;
    }, { message: "node-i Ready after the restart" });
    assert.deepEqual(node.spec?.taints.map((t) => t.key), ["dedicated"]);
  });

  it("stops renewing the Lease and syncing the status once stopped", async () => {
    const agent = start({ nodeName: "node-g" });
    await agent.waitForRegistration();
    await waitFor(() => getLease("node-g"), { message: "node-g's lease" });
    await agent.stop();
    const lease = await getLease("node-g");
    const node = await getNode("node-g");
    // An observation window, not a readiness wait: several renew and sync intervals must pass unseen.
    await sleep(Math.max(RENEW_MS, SYNC_MS) * 5);
    assert.equal((await getLease("node-g")).spec?.renewTime, lease.spec?.renewTime);
    assert.equal((await getNode("node-g")).metadata?.resourceVersion, node.metadata?.resourceVersion);
  });
});
