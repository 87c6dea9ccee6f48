// Integration tests of simulated mode on a real apiserver, etcd and NATS: nodes Ready with Leases, bound pods Running, deletions finished.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect, type NatsConnection } from "nats";
import { Registry } from "prom-client";
import { coreV1Pod, isNotFound, kindFor, type coordinationV1, type coreV1Node, type KindInfo } from "@kubeplane/api";
import { ApiClient, type WatchConnection } from "@kubeplane/client";
import { createLogger } from "@kubeplane/service-kit";
import { clientTls, metricSums, natsOptions, startControlPlane, sumOf, waitFor, type ControlPlane } from "@kubeplane/testing";
import { SIMULATED_NODE_LABEL, startSimulatedNodes, simulatedPodCidr, type SimulatedNodes } from "../src/simulate/index.js";

type Pod = coreV1Pod.Pod;
type Node = coreV1Node.Node;
const pods = kindFor("v1", "Pod") as KindInfo<Pod>;
const nodes = kindFor("v1", "Node") as KindInfo<Node>;
const leases = kindFor("coordination.k8s.io/v1", "Lease") as KindInfo<coordinationV1.Lease>;

function pod(name: string, nodeName: string): Pod {
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: "default", name },
    spec: {
      nodeName,
      initContainers: [{ name: "init", image: "registry.local/busybox:1" }],
      containers: [{ name: "app", image: "registry.local/busybox:1" }, { name: "sidecar", image: "registry.local/busybox:1" }],
      terminationGracePeriodSeconds: 30,
    },
  });
}

/** 10.128.3.0/24 → "10.128.3." */
const cidrPrefix = (cidr: string): string => cidr.replace(/0\/24$/, "");

describe("simulated mode", () => {
  let cp: ControlPlane;
  let client: ApiClient;
  let nc: NatsConnection;
  let watch: WatchConnection;
  const sims: SimulatedNodes[] = [];
  const logger = createLogger("kubelet-simulate-test", "warn");
  const registry = new Registry();

  before(async () => {
    cp = await startControlPlane();
    client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
    nc = await connect({ ...natsOptions(cp.nats.url ), servers: cp.nats.url });
    watch = { js: nc.jetstream(), jsm: await nc.jetstreamManager() };
  });

  after(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    client?.close();
    await nc?.close();
    await cp?.stop();
  });

  const start = (reg: Registry): SimulatedNodes => {
    const sim = startSimulatedNodes({ client, watch, logger, registry: reg, count: 5, namePrefix: "sim-", leaseRenewIntervalMs: 300, concurrency: 8 });
    sims.push(sim);
    return sim;
  };

  const listPods = async (): Promise<Pod[]> => (await client.list(pods, { namespace: "default" })).items as Pod[];

  it("registers Ready nodes with their own pod CIDR and renewed Leases", async () => {
    const sim = start(registry);
    await sim.ready();
    assert.deepEqual(sim.nodeNames, ["sim-0", "sim-1", "sim-2", "sim-3", "sim-4"]);
    const listed = ((await client.list(nodes, { labelSelector: `${SIMULATED_NODE_LABEL}=true` })).items as Node[]).sort((a, b) => a.metadata!.name.localeCompare(b.metadata!.name));
    assert.deepEqual(listed.map((n) => n.metadata!.name), sim.nodeNames);
    listed.forEach((n, i) => {
      assert.equal(n.spec?.podCidr, simulatedPodCidr(i));
      assert.equal(n.status?.conditions.find((c) => c.type === "Ready")?.status, "True");
      assert.equal(n.status?.allocatable.pods, "110");
      assert.equal(n.metadata?.labels["kubernetes.io/hostname"], n.metadata!.name);
    });
    const renewTimes = await Promise.all(sim.nodeNames.map(async (n) => (await client.get(leases, "kube-node-lease", n)) as coordinationV1.Lease));
    for (const lease of renewTimes) assert.equal(lease.metadata?.ownerReferences[0]?.kind, "Node");
    await waitFor(async () => {
      const now = await Promise.all(sim.nodeNames.map(async (n) => ((await client.get(leases, "kube-node-lease", n)) as coordinationV1.Lease).spec!.renewTime));
      return now.every((t, i) => Date.parse(t) > Date.parse(renewTimes[i]!.spec!.renewTime));
    }, { timeoutMs: 5000, message: "every simulated node's lease to be renewed" });
  });

  it("reports pre-bound pods Running with distinct pod IPs from their node's CIDR", async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.create(pods, pod(`p-${i}`, `sim-${i % 5}`))));
    const running = await waitFor(async () => {
      const all = await listPods();
      return all.length === 20 && all.every((p) => p.status?.phase === "Running") && all;
    }, { timeoutMs: 10_000, message: "20 pods Running" });
    const ips = running.map((p) => p.status!.podIp);
    assert.equal(new Set(ips).size, 20, `distinct pod IPs: ${ips.join(" ")}`);
    for (const p of running) {
      const index = Number(p.spec!.nodeName.slice("sim-".length));
      assert.ok(p.status!.podIp.startsWith(cidrPrefix(simulatedPodCidr(index))), `${p.metadata!.name} ${p.status!.podIp} on ${p.spec!.nodeName}`);
      assert.equal(p.status!.hostIp, "127.0.0.1");
      assert.deepEqual(p.status!.conditions.map((c) => `${c.type}=${c.status}`), ["PodScheduled=True", "Initialized=True", "ContainersReady=True", "Ready=True"]);
      assert.deepEqual(p.status!.containerStatuses.map((c) => [c.name, c.ready, !!c.state?.running, c.containerId.startsWith("simulated://")]), [["app", true, true, true], ["sidecar", true, true, true]]);
      assert.equal(p.status!.initContainerStatuses[0]?.state?.terminated?.reason, "Completed");
      assert.notEqual(p.status!.startTime, "");
    }
    const text = await registry.metrics();
    await waitFor(async () => sumOf(metricSums(await registry.metrics(), "kubelet_running_pods")) === 20, { message: "kubelet_running_pods 20" });
    assert.ok(sumOf(metricSums(text, "kubelet_pod_start_duration_seconds_count")) >= 20);
  });

  it("finishes the deletion of a pod deleted with a grace period", async () => {
    const res = await client.delete(pods, "default", "p-3", { gracePeriodSeconds: 30 });
    assert.equal(res.deleted, false, "a bound pod is only marked for deletion");
    await waitFor(async () => {
      try {
        await client.get(pods, "default", "p-3");
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    }, { timeoutMs: 10_000, message: "p-3 gone" });
    await waitFor(async () => sumOf(metricSums(await registry.metrics(), "kubelet_running_pods")) === 19, { message: "kubelet_running_pods 19" });
  });

  it("after a restart, keeps the pods' IPs and gives new pods free ones", async () => {
    const before = await listPods();
    await sims.shift()!.stop();
    const sim = start(new Registry());
    await sim.ready();
    await client.create(pods, pod("p-new", "sim-0"));
    const fresh = await waitFor(async () => {
      const p = (await client.get(pods, "default", "p-new")) as Pod;
      return p.status?.phase === "Running" && p;
    }, { timeoutMs: 10_000, message: "p-new Running" });
    const onNode0 = before.filter((p) => p.spec!.nodeName === "sim-0").map((p) => p.status!.podIp);
    assert.ok(fresh.status!.podIp.startsWith(cidrPrefix(simulatedPodCidr(0))));
    assert.ok(!onNode0.includes(fresh.status!.podIp), `${fresh.status!.podIp} is not one of ${onNode0.join(" ")}`);
    const after = await listPods();
    for (const p of before) assert.equal(after.find((q) => q.metadata!.name === p.metadata!.name)?.metadata?.resourceVersion, p.metadata!.resourceVersion, `${p.metadata!.name} untouched`);
  });
});
