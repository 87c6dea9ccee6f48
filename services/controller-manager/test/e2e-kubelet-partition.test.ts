// End-to-end: a kubelet (simulated nodes, own process) cut off from the apiserver and NATS by nftables: its node goes Unknown, pods are evicted and replaced per their tolerations, and after healing the node is Ready and no pod runs twice.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { appsV1ReplicaSet, kindFor, type coordinationV1, type coreV1Node, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import { createTestCgroup, enterTestNetns, serviceEntry, startPartitioner, startServiceProcess, waitFor, type Partitioner, type ServiceProcess, type TestCgroup } from "@kubeplane/testing";
import { pods, startCmCluster, type CmCluster } from "./harness.js";

await enterTestNetns(import.meta.url);

type Pod = coreV1Pod.Pod;
const nodeKind = kindFor("v1", "Node") as KindInfo<coreV1Node.Node>;
const replicaSets = kindFor("apps/v1", "ReplicaSet") as KindInfo<appsV1ReplicaSet.ReplicaSet>;
const leaseKind = kindFor("coordination.k8s.io/v1", "Lease") as KindInfo<coordinationV1.Lease>;
const ns = "default";
const GRACE_MS = 4000;
const UNREACHABLE = "node.kubernetes.io/unreachable";
const NOT_READY = "node.kubernetes.io/not-ready";
const readyTimeoutMs = 120_000;

const readyStatus = (n: coreV1Node.Node | undefined): string | undefined => n?.status?.conditions.find((c) => c.type === "Ready")?.status;
const isPodReady = (p: Pod): boolean => p.status?.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/** The kubelet's own count of pods it reports running (kubelet_running_pods), or undefined when its metrics do not answer. */
async function runningPods(kubelet: ServiceProcess): Promise<number | undefined> {
  const line = (await kubelet.metrics()).split("\n").find((l) => l.startsWith("kubelet_running_pods "));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

describe("a kubelet partitioned from the control plane (e2e, nftables)", () => {
  let cluster: CmCluster;
  let partitioner: Partitioner;
  let machine: TestCgroup;
  let cutKubelet: ServiceProcess;
  let okKubelet: ServiceProcess;
  let scheduler: ServiceProcess;

  const kubelet = (prefix: string, cgroup?: TestCgroup): Promise<ServiceProcess> =>
    startServiceProcess({
      entry: serviceEntry("kubelet"),
      flags: { apiserver: cluster.apiserver.grpcAddress, "nats-url": cluster.nats.url, simulate: "1", "simulate-prefix": prefix, "node-lease-renew-interval": "500ms" },
      readyTimeoutMs,
      ...(cgroup ? { cgroup } : {}),
    });

  before(async () => {
    cluster = await startCmCluster();
    partitioner = await startPartitioner();
    machine = await createTestCgroup("node-cut");
    [cutKubelet, scheduler] = await Promise.all([
      kubelet("cut", machine),
      startServiceProcess({ entry: serviceEntry("scheduler"), flags: { apiserver: cluster.apiserver.grpcAddress, "nats-url": cluster.nats.url, "leader-elect": "false" }, readyTimeoutMs }),
      cluster.startControllerManager({ controllers: ["replicaset", "nodelifecycle"], nodeMonitorGracePeriod: GRACE_MS }),
    ]).then(([k, s]) => [k, s] as const);
  });

  after(async () => {
    await Promise.allSettled([cutKubelet, okKubelet, scheduler].map((p) => p?.kill("SIGKILL")));
    await partitioner?.close();
    await machine?.remove();
    await cluster?.stop();
  });

  function replicaSet(name: string, replicas: number, tolerationSeconds: number | undefined): appsV1ReplicaSet.ReplicaSet {
    const tolerations = [UNREACHABLE, NOT_READY].map((key) => ({ key, operator: "Exists", effect: "NoExecute", ...(tolerationSeconds === undefined ? {} : { tolerationSeconds }) }));
    return appsV1ReplicaSet.ReplicaSet.fromPartial({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name, namespace: ns },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image: "nginx:1.27" }], tolerations } },
      },
    });
  }

  async function appPods(app: string): Promise<Pod[]> {
    return (await cluster.client.list(pods, { namespace: ns, labelSelector: `app=${app}` })).items as Pod[];
  }

  it("the node goes Unknown, pods without a lasting toleration are replaced elsewhere, and after healing the node is Ready and each pod runs once", async (t) => {
    const c = cluster.client;
    await waitFor(async () => readyStatus(await c.get(nodeKind, "", "cut-0").catch(() => undefined) as coreV1Node.Node | undefined) === "True", { timeoutMs: 30_000, message: "cut-0 Ready" });
    // All pods start on cut-0 (the only node); ok-0 joins afterwards to take the replacements.
    await c.create(replicaSets, replicaSet("evictable", 3, 2));
    await c.create(replicaSets, replicaSet("tolerant", 2, undefined));
    const onCut = await waitFor(async () => {
      const list = [...(await appPods("evictable")), ...(await appPods("tolerant"))];
      return list.length === 5 && list.every((p) => p.spec?.nodeName === "cut-0" && isPodReady(p)) ? list : undefined;
    }, { timeoutMs: 30_000, message: "5 pods running on cut-0" });
    const evictedUids = new Set(onCut.filter((p) => p.metadata!.labels.app === "evictable").map((p) => p.metadata!.uid));
    const tolerantUids = new Set(onCut.filter((p) => p.metadata!.labels.app === "tolerant").map((p) => p.metadata!.uid));
    okKubelet = await kubelet("ok");
    await waitFor(async () => readyStatus(await c.get(nodeKind, "", "ok-0").catch(() => undefined) as coreV1Node.Node | undefined) === "True", { timeoutMs: 30_000, message: "ok-0 Ready" });

    const cut = await partitioner.isolate(machine);
    const cutAt = Date.now();
    const unknown = await waitFor(async () => {
      const node = (await c.get(nodeKind, "", "cut-0")) as coreV1Node.Node;
      return readyStatus(node) === "Unknown" ? node : undefined;
    }, { timeoutMs: GRACE_MS + 30_000, message: "cut-0 Ready=Unknown" });
    const unknownAfterMs = Date.now() - cutAt;
    // Not before the grace period since the last heartbeat that got through (the node's Lease);
    // the condition's lastTransitionTime has whole seconds.
    const lastRenew = Date.parse(((await c.get(leaseKind, "kube-node-lease", "cut-0")) as coordinationV1.Lease).spec!.renewTime);
    const markedAt = Date.parse(unknown.status!.conditions.find((cond) => cond.type === "Ready")!.lastTransitionTime);
    assert.ok(markedAt - lastRenew >= GRACE_MS - 1000, `cut-0 marked Unknown ${markedAt - lastRenew} ms after its last heartbeat (grace period ${GRACE_MS} ms)`);

    // Replacements of the evictable pods run on ok-0; the evicted ones wait, Terminating, for their kubelet.
    const replaced = await waitFor(async () => {
      const list = await appPods("evictable");
      const fresh = list.filter((p) => !evictedUids.has(p.metadata!.uid) && !p.metadata?.deletionTimestamp);
      const old = list.filter((p) => evictedUids.has(p.metadata!.uid));
      return fresh.length === 3 && fresh.every((p) => p.spec?.nodeName === "ok-0" && isPodReady(p)) && old.every((p) => p.metadata?.deletionTimestamp) ? { fresh, old } : undefined;
    }, { timeoutMs: 60_000, message: "3 evictable pods replaced on ok-0, the old ones marked for deletion" });
    const tolerantDuring = await appPods("tolerant");
    assert.deepEqual(new Set(tolerantDuring.filter((p) => !p.metadata?.deletionTimestamp && p.spec?.nodeName === "cut-0").map((p) => p.metadata!.uid)), tolerantUids, "pods tolerating unreachable for ever stay bound to cut-0");
    t.diagnostic(`cut-0 Unknown after ${unknownAfterMs} ms; replaced after ${Date.now() - cutAt} ms; ${replaced.old.length} evicted pods still Terminating`);

    await cut.heal();
    const healedAt = Date.now();
    await waitFor(async () => readyStatus((await c.get(nodeKind, "", "cut-0")) as coreV1Node.Node) === "True", { timeoutMs: 60_000, message: "cut-0 Ready again after healing" });
    t.diagnostic(`cut-0 Ready ${Date.now() - healedAt} ms after healing`);
    // The cut-off kubelet finishes what was replaced; nothing runs twice.
    await waitFor(async () => {
      const ev = await appPods("evictable");
      return ev.length === 3 && ev.every((p) => !evictedUids.has(p.metadata!.uid) && p.spec?.nodeName === "ok-0");
    }, { timeoutMs: 60_000, message: "the evicted pods are gone from the API" });
    const counts = await waitFor(async () => {
      const [onCutKubelet, onOkKubelet] = await Promise.all([runningPods(cutKubelet), runningPods(okKubelet)]);
      return onCutKubelet === 2 && onOkKubelet === 3 ? { onCutKubelet, onOkKubelet } : undefined;
    }, { timeoutMs: 60_000, message: "cut-0's kubelet runs the 2 tolerant pods only, ok-0's the 3 replacements" });
    const tolerantAfter = await appPods("tolerant");
    assert.deepEqual(new Set(tolerantAfter.map((p) => p.metadata!.uid)), tolerantUids, "the tolerant pods are the same pods, never replaced");
    assert.ok(tolerantAfter.every((p) => p.spec?.nodeName === "cut-0" && isPodReady(p)), "the tolerant pods run on cut-0");
    assert.equal(counts.onCutKubelet + counts.onOkKubelet, 5, "5 pods desired, 5 running");
  });
});
