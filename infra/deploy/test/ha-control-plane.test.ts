// Multi-machine test: three control-plane machines (network namespaces) from the kubeplane chart; one is lost, the API fails over, leadership moves, it rejoins.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { kindFor } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { waitFor } from "@kubeplane/testing";
import { apiserverReady, etcdHealthy, natsRoutes, startHaControlPlane, watchStreamLeader, type HaCluster } from "./ha-support.js";

const isRoot = process.getuid?.() === 0;
const configMaps = kindFor("v1", "ConfigMap")!;
const leases = kindFor("coordination.k8s.io/v1", "Lease")!;
const deployments = kindFor("apps/v1", "Deployment")!;
const replicaSets = kindFor("apps/v1", "ReplicaSet")!;
const pods = kindFor("v1", "Pod")!;

let ha: HaCluster;
let client: ApiClient;

const clientFor = (servers: string): ApiClient =>
  ApiClient.connect({ server: servers, caFile: join(ha.pkiDir, "ca.crt"), certFile: join(ha.pkiDir, "admin.crt"), keyFile: join(ha.pkiDir, "admin.key"), timeoutMs: 10_000 });

async function holder(lease: string): Promise<string | undefined> {
  const l = (await client.json.get(leases, "kube-system", lease, { signal: AbortSignal.timeout(2000) }).catch(() => undefined)) as { spec?: { holderIdentity?: string } } | undefined;
  return l?.spec?.holderIdentity || undefined;
}

before(async () => {
  if (!isRoot) return;
  ha = await startHaControlPlane(3);
  await waitFor(async () => (await Promise.all(ha.machines.map(apiserverReady))).every(Boolean), { timeoutMs: 60_000, intervalMs: 250, message: "every apiserver ready" });
  client = clientFor(ha.apiservers);
});

after(async () => {
  client?.close();
  await ha?.close();
});

test("three control-plane machines: 3 etcd members healthy, NATS routes to both peers, every apiserver ready", { skip: !isRoot && "needs root (network namespaces)" }, async () => {
  assert.deepEqual(await Promise.all(ha.machines.map(etcdHealthy)), [true, true, true]);
  await waitFor(async () => (await Promise.all(ha.machines.map(natsRoutes))).every((n) => n === 2), { timeoutMs: 10_000, message: "2 routes on every NATS server" });
  await client.json.create(configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "ha-hello", namespace: "default" }, data: { k: "v" } });
  // Written through one apiserver, read through each.
  for (const m of ha.machines) {
    const one = clientFor(`${m.address}:6443`);
    try {
      assert.equal(((await one.json.get(configMaps, "default", "ha-hello")) as { data?: Record<string, string> }).data?.["k"], "v");
    } finally {
      one.close();
    }
  }
});

test("losing a control-plane machine: the API answers within 5 s through the others, leadership moves, the machine rejoins", { skip: !isRoot && "needs root (network namespaces)" }, async () => {
  // The machine lost is the controller-manager leader's, so a new leader must start its informers
  // while the NATS cluster has lost a server (and, a third of the time, the watch stream's leader).
  const schedulerLeader = await waitFor(() => holder("kube-scheduler"), { timeoutMs: 30_000, intervalMs: 250, message: "a scheduler leader" });
  const cmLeader = await waitFor(() => holder("kube-controller-manager"), { timeoutMs: 30_000, intervalMs: 250, message: "a controller-manager leader" });
  const victim = cmLeader;
  const machine = ha.machines.find((m) => m.name === victim);
  assert.ok(machine, `the controller-manager's leader ${victim} is one of the machines (identity = machine name)`);
  // The client talks to the victim's apiserver first (pick_first), so losing it is a real failover.
  client.close();
  client = clientFor([machine, ...ha.machines.filter((m) => m !== machine)].map((m) => `${m.address}:6443`).join(","));
  await client.json.create(configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "before-loss", namespace: "default" } });

  // Before the loss: a Deployment whose one pod the controllers create (no workers: it stays Pending).
  await client.json.create(deployments, {
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "after-loss", namespace: "default" },
    spec: { replicas: 1, selector: { matchLabels: { app: "after-loss" } }, template: { metadata: { labels: { app: "after-loss" } }, spec: { containers: [{ name: "c", image: "busybox:1.36" }] } } },
  });
  await waitFor(async () => (await client.json.list(pods, { namespace: "default", labelSelector: "app=after-loss" })).items.length === 1, { timeoutMs: 20_000, intervalMs: 250, message: "the Deployment's pod before the loss" });

  const streamLeader = await watchStreamLeader(ha.machines);
  process.stderr.write(`# losing ${victim}: controller-manager leader ${cmLeader}, scheduler leader ${schedulerLeader}, watch stream leader ${streamLeader ?? "?"}\n`);
  const t0 = Date.now();
  await ha.kill(victim);
  let n = 0;
  const written = await waitFor(
    async () => {
      const name = `after-loss-${n++}`;
      try {
        await client.json.create(configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" } }, { signal: AbortSignal.timeout(1000) });
        return name;
      } catch {
        return undefined;
      }
    },
    { timeoutMs: 10_000, intervalMs: 50, message: "a write through the remaining apiservers" },
  );
  const failoverMs = Date.now() - t0;
  process.stderr.write(`# API answered again ${failoverMs} ms after ${victim} was lost\n`);
  assert.ok(failoverMs < 5000, `API answered after ${failoverMs} ms`);

  const newCm = await waitFor(async () => { const h = await holder("kube-controller-manager"); return h && h !== victim ? h : undefined; }, { timeoutMs: 40_000, intervalMs: 250, message: "the controller-manager lease moves" });
  assert.notEqual(newCm, victim);
  if (schedulerLeader === victim) {
    await waitFor(async () => { const h = await holder("kube-scheduler"); return h && h !== victim ? h : undefined; }, { timeoutMs: 40_000, intervalMs: 250, message: "the scheduler lease moves" });
  }

  // A Deployment scaled after the loss converges: the controller-manager leader (new or not) has its
  // caches synced and its watches alive, though the lost machine may have led the watch stream and
  // hosted some of their JetStream consumers (docs/deployment.md, "Watch consumers across a machine loss").
  const tScale = Date.now();
  const d = (await client.json.get(deployments, "default", "after-loss")) as { spec: { replicas: number } };
  await client.json.update(deployments, { ...d, spec: { ...d.spec, replicas: 3 } });
  await waitFor(async () => (await client.json.list(pods, { namespace: "default", labelSelector: "app=after-loss", signal: AbortSignal.timeout(2000) })).items.length === 3, {
    timeoutMs: 30_000,
    intervalMs: 250,
    message: "the Deployment scaled to 3 after the loss has 3 pods",
  });
  process.stderr.write(`# the Deployment scaled after the loss converged in ${Date.now() - tScale} ms (controller-manager leader ${await holder("kube-controller-manager")}, was ${cmLeader})\n`);

  // The machine comes back: its etcd member, NATS routes and apiserver rejoin.
  await ha.install(victim);
  await waitFor(async () => (await etcdHealthy(machine)) && (await apiserverReady(machine)) && (await natsRoutes(machine)) === 2, { timeoutMs: 60_000, intervalMs: 250, message: `${victim} rejoins` });
  const direct = clientFor(`${machine.address}:6443`);
  try {
    await waitFor(() => direct.json.get(configMaps, "default", written).then(() => true, () => false), { timeoutMs: 10_000, message: "the rejoined apiserver serves writes made while it was away" });
  } finally {
    direct.close();
  }
});

