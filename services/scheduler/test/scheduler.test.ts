// Integration tests of the scheduler on a real apiserver (process), etcd and NATS, with the plugins that have landed.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { coreV1Node, coreV1Pod, kindFor, type coordinationV1, type coreV1Event, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { createLogger, loadConfig } from "@kubeplane/service-kit";
import { clientTls, serviceTlsConfig, startEtcd, startNats, startServiceProcess, waitFor, type EtcdCluster, type NatsServer, type ServiceProcess } from "@kubeplane/testing";
import { inTreeRegistry, schedulerConfig, startScheduler, type RunningScheduler } from "../src/index.js";

type Pod = coreV1Pod.Pod;
type Node = coreV1Node.Node;
const pods = kindFor("v1", "Pod") as KindInfo<Pod>;
const nodes = kindFor("v1", "Node") as KindInfo<Node>;
const events = kindFor("v1", "Event") as KindInfo<coreV1Event.Event>;
const apiserverMain = fileURLToPath(new URL("../../apiserver/src/main.ts", import.meta.url));

function node(name: string, cpu: string, labels: Record<string, string> = {}): Node {
  return coreV1Node.Node.fromPartial({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, ...labels } },
    status: { capacity: { cpu, memory: "16Gi", pods: "110" }, allocatable: { cpu, memory: "16Gi", pods: "110" } },
  });
}

function pod(name: string, cpu: string, extra: Partial<coreV1Pod.PodSpec> = {}, ns = "default"): Pod {
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: ns, name },
    spec: { containers: [{ name: "app", image: "nginx:1.27", resources: { requests: { cpu, memory: "64Mi" } } }], ...extra },
  });
}

function profileFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "sched-")), "profiles.yaml");
  writeFileSync(file, yaml);
  return file;
}

describe("scheduler on a real apiserver", () => {
  let etcd: EtcdCluster;
  let nats: NatsServer;
  let apiserver: ServiceProcess;
  let client: ApiClient;
  let sched: RunningScheduler;

  before(async () => {
    [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
    apiserver = await startServiceProcess({ entry: apiserverMain, flags: { "etcd-endpoints": etcd.endpoints.join(","), "nats-url": nats.url } });
    client = ApiClient.connect({ ...clientTls(), server: apiserver.grpcAddress });
    const defaults = loadConfig(schedulerConfig, { argv: [], envPrefix: "KP_SCHED_TEST_UNSET", program: "scheduler-test" });
    sched = await startScheduler(
      { ...defaults, ...serviceTlsConfig(clientTls("scheduler")), grpcListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", apiserver: apiserver.grpcAddress, natsUrl: nats.url, leaderElect: false, logLevel: "warn", shutdownGracePeriod: 2000 },
      { logger: createLogger("scheduler-test", "warn") },
    );
  });

  after(async () => {
    await sched?.stop();
    client?.close();
    await apiserver?.kill();
    await Promise.allSettled([etcd?.stop(), nats?.stop()]);
  });

  async function boundPod(ns: string, name: string, timeoutMs = 15_000): Promise<Pod> {
    return waitFor(async () => {
      const p = (await client.get(pods, ns, name)) as Pod;
      return p.spec?.nodeName ? p : undefined;
    }, { timeoutMs, message: `pod ${ns}/${name} bound` });
  }

  async function eventsFor(ns: string, name: string, reason: string): Promise<coreV1Event.Event[]> {
    const list = await client.list(events, { namespace: ns });
    return (list.items as coreV1Event.Event[]).filter((e) => e.involvedObject?.name === name && e.reason === reason);
  }

  it("uses the plugins that have landed", () => {
    const registered = Object.keys(inTreeRegistry());
    assert.ok(registered.includes("NodeResourcesFit"), `registered: ${registered.join(", ")}`);
    assert.ok(registered.includes("DefaultBinder"));
  });

  it("places pods only on nodes whose free cpu fits them, and records Scheduled events", async () => {
    await client.create(nodes, node("small", "1"));
    await client.create(nodes, node("big-1", "4"));
    await client.create(nodes, node("big-2", "4"));
    const names = ["fit-0", "fit-1", "fit-2", "fit-3"];
    for (const n of names) await client.create(pods, pod(n, "1500m"));
    const placed = await Promise.all(names.map((n) => boundPod("default", n)));
    const perNode = new Map<string, number>();
    for (const p of placed) {
      assert.notEqual(p.spec!.nodeName, "small", `${p.metadata!.name} must not land on the 1-cpu node`);
      perNode.set(p.spec!.nodeName, (perNode.get(p.spec!.nodeName) ?? 0) + 1);
      assert.equal(p.status?.conditions.find((c) => c.type === "PodScheduled")?.status, "True");
    }
    for (const [n, count] of perNode) assert.ok(count <= 2, `${n} holds ${count} pods of 1.5 cpu on 4 cpu`);
    for (const p of placed) {
      const evs = await waitFor(async () => {
        const found = await eventsFor("default", p.metadata!.name, "Scheduled");
        return found.length ? found : undefined;
      }, { message: `Scheduled event of ${p.metadata!.name}` });
      assert.equal(evs[0]!.type, "Normal");
      assert.equal(evs[0]!.message, `Successfully assigned default/${p.metadata!.name} to ${p.spec!.nodeName}`);
    }
  });

  it("marks a pod that fits nowhere Unschedulable with a FailedScheduling event, then places it when a fitting node is added", async () => {
    await client.create(pods, pod("huge", "16"));
    const unschedulable = await waitFor(async () => {
      const p = (await client.get(pods, "default", "huge")) as Pod;
      const c = p.status?.conditions.find((x) => x.type === "PodScheduled");
      return c?.status === "False" ? c : undefined;
    }, { message: "PodScheduled=False on huge" });
    assert.equal(unschedulable.reason, "Unschedulable");
    // With DefaultPreemption landed, kube-scheduler's preemption sentence follows.
    assert.match(unschedulable.message, /^0\/3 nodes are available: 3 Insufficient cpu\.( preemption: .*)?$/);
    const warnings = await waitFor(async () => {
      const found = await eventsFor("default", "huge", "FailedScheduling");
      return found.length ? found : undefined;
    }, { message: "FailedScheduling event" });
    assert.equal(warnings[0]!.type, "Warning");
    assert.equal(warnings[0]!.message, unschedulable.message);
    const t0 = Date.now();
    await client.create(nodes, node("huge-node", "32"));
    const placed = await boundPod("default", "huge", 5_000);
    assert.equal(placed.spec!.nodeName, "huge-node");
    assert.ok(Date.now() - t0 < 3_000, `placed ${Date.now() - t0} ms after the node was added`);
  });

  it("ignores pods of another schedulerName", async () => {
    await client.create(pods, pod("other", "100m", { schedulerName: "someone-else" }));
    await client.create(pods, pod("mine-after-other", "100m"));
    await boundPod("default", "mine-after-other");
    const other = (await client.get(pods, "default", "other")) as Pod;
    assert.equal(other.spec?.nodeName, "");
  });

  it("with leader election, schedules only once it holds the kube-system/kube-scheduler lease", async () => {
    const defaults = loadConfig(schedulerConfig, { argv: [], envPrefix: "KP_SCHED_TEST_UNSET", program: "scheduler-test" });
    const elected = await startScheduler(
      {
        ...defaults, ...serviceTlsConfig(clientTls("scheduler")),
        grpcListen: "127.0.0.1:0",
        httpListen: "127.0.0.1:0",
        apiserver: apiserver.grpcAddress,
        natsUrl: nats.url,
        leaderElect: true,
        identity: "sched-a",
        leaseDuration: 3000,
        renewDeadline: 2000,
        retryPeriod: 500,
        logLevel: "warn",
        profilesFile: profileFile("profiles:\n  - schedulerName: elected-scheduler\n"),
      },
      { logger: createLogger("scheduler-test-le", "warn") },
    );
    try {
      const leases = kindFor("coordination.k8s.io/v1", "Lease") as KindInfo<coordinationV1.Lease>;
      await waitFor(async () => {
        const lease = (await client.get(leases, "kube-system", "kube-scheduler").catch(() => undefined)) as coordinationV1.Lease | undefined;
        return lease?.spec?.holderIdentity === "sched-a" ? true : undefined;
      }, { message: "lease held by sched-a" });
      await client.create(pods, pod("elected-pod", "100m", { schedulerName: "elected-scheduler" }));
      await boundPod("default", "elected-pod");
      assert.ok(elected.isLeader());
    } finally {
      await elected.stop();
    }
  });

  it("a second scheduler with its own profile places a backlog of pods without overcommitting any node (throughput)", async () => {
    const ns = "burst";
    await client.json.create(kindFor("v1", "Namespace")!, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    const nodeCount = 100;
    for (let i = 0; i < nodeCount; i += 25) {
      await Promise.all(Array.from({ length: 25 }, (_v, k) => client.create(nodes, node(`burst-${i + k}`, "2", { pool: "burst" }))));
    }
    const count = 1000;
    const creates: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      creates.push(client.create(pods, pod(`p-${i}`, "200m", { nodeSelector: { pool: "burst" }, schedulerName: "burst-scheduler" }, ns)));
      if (creates.length >= 64) await Promise.all(creates.splice(0));
    }
    await Promise.all(creates);
    // The second scheduler starts on a backlog: what is measured is scheduling and binding alone.
    const defaults = loadConfig(schedulerConfig, { argv: [], envPrefix: "KP_SCHED_TEST_UNSET", program: "scheduler-test" });
    const t0 = Date.now();
    const second = await startScheduler(
      { ...defaults, ...serviceTlsConfig(clientTls("scheduler")), grpcListen: "127.0.0.1:0", httpListen: "127.0.0.1:0", apiserver: apiserver.grpcAddress, natsUrl: nats.url, leaderElect: false, logLevel: "warn", profilesFile: profileFile("profiles:\n  - schedulerName: burst-scheduler\n    plugins:\n      score:\n        enabled: [{name: NodeResourcesFit, weight: 2}]\n") },
      { logger: createLogger("scheduler-test-2", "warn") },
    );
    try {
      await waitFor(() => (second.scheduler.scheduledCount >= count ? true : undefined), { timeoutMs: 60_000, intervalMs: 20, message: `${count} pods bound` });
      const seconds = (Date.now() - t0) / 1000;
      const list = (await client.list(pods, { namespace: ns })).items as Pod[];
      const perNode = new Map<string, number>();
      for (const p of list) {
        assert.ok(p.spec?.nodeName.startsWith("burst-"), `${p.metadata!.name} on ${p.spec?.nodeName}`);
        perNode.set(p.spec!.nodeName, (perNode.get(p.spec!.nodeName) ?? 0) + 1);
      }
      for (const [n, c] of perNode) assert.ok(c <= 10, `${n} holds ${c} pods of 200m on 2 cpu`);
      assert.equal(sched.scheduler.scheduledCount < 1000, true, "the default scheduler left them alone");
      console.log(`# throughput: ${count} pods on ${nodeCount + 4} nodes in ${seconds.toFixed(2)} s from scheduler start (informer sync included): ${(count / seconds).toFixed(0)} pods/s`);
    } finally {
      await second.stop();
    }
  });
});
