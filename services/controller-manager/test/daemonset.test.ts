// Integration tests of the DaemonSet controller on a real apiserver, etcd and NATS, with stand-in kubelets.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { appsV1DaemonSet, coreV1Node, kindFor, type KindInfo } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { eventsAbout, pods, startCmCluster, startFakeKubelets, type CmCluster } from "./harness.js";

type Node = coreV1Node.Node;
const nodes = kindFor("v1", "Node") as KindInfo<Node>;
const daemonSets = kindFor("apps/v1", "DaemonSet") as KindInfo<appsV1DaemonSet.DaemonSet>;
const ns = "default";

let cluster: CmCluster;
const stop = new AbortController();
let kubelets: Promise<void>;

before(async () => {
  cluster = await startCmCluster();
  await cluster.startControllerManager({ controllers: ["daemonset"] });
  kubelets = startFakeKubelets(cluster, ["n1", "n2", "n3", "n4", "n5"], stop.signal);
});

after(async () => {
  stop.abort();
  await kubelets.catch(() => undefined);
  await cluster.stop();
});

async function createNode(name: string, labels: Record<string, string>, taints: coreV1Node.Taint[] = []): Promise<void> {
  await cluster.client.create(
    nodes,
    coreV1Node.Node.fromPartial({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, labels },
      spec: { taints },
      status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }] },
    }),
  );
}

/** Node names that run a live (not terminating) pod of the DaemonSet, sorted. */
async function daemonNodes(ds: string): Promise<string[]> {
  const list = await cluster.client.list(pods, { namespace: ns });
  return list.items
    .filter((p) => p.metadata?.ownerReferences.some((r) => r.name === ds && r.kind === "DaemonSet") && !p.metadata?.deletionTimestamp)
    .map((p) => (p as typeof p & { spec: { nodeName: string } }).spec.nodeName)
    .sort();
}

async function waitForNodes(ds: string, expected: string[], message: string): Promise<void> {
  await waitFor(async () => JSON.stringify(await daemonNodes(ds)) === JSON.stringify(expected), { timeoutMs: 20_000, message });
}

test("a DaemonSet covers exactly the eligible nodes as nodes come, change and go, and rolls out a new template", async () => {
  await createNode("n1", { role: "worker" });
  await createNode("n2", { role: "worker" }, [{ key: "dedicated", value: "db", effect: "NoSchedule", timeAdded: "" }]);
  await createNode("n3", {});
  await cluster.client.create(
    daemonSets,
    appsV1DaemonSet.DaemonSet.fromPartial({
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "agent", namespace: ns },
      spec: {
        selector: { matchLabels: { app: "agent" } },
        template: {
          metadata: { labels: { app: "agent" } },
          spec: { nodeSelector: { role: "worker" }, containers: [{ name: "agent", image: "agent:v1" }] },
        },
      },
    }),
  );
  // n2 is tainted without a toleration; n3 does not match the nodeSelector.
  await waitForNodes("agent", ["n1"], "a pod on n1 only");

  await createNode("n4", { role: "worker" });
  await waitForNodes("agent", ["n1", "n4"], "a new eligible node gets a pod");

  const n3 = (await cluster.client.get(nodes, "", "n3")) as Node;
  await cluster.client.update(nodes, coreV1Node.Node.fromPartial({ ...n3, metadata: { ...n3.metadata, labels: { role: "worker" } } }));
  await waitForNodes("agent", ["n1", "n3", "n4"], "a node that becomes eligible gets a pod");

  await cluster.client.patch(nodes, "", "n4", { metadata: { labels: { role: null } } });
  await waitForNodes("agent", ["n1", "n3"], "a node that stops matching loses its pod");

  await cluster.client.delete(nodes, "", "n1");
  await waitForNodes("agent", ["n3"], "a removed node's pod goes");

  const ready = await waitFor(
    async () => {
      const ds = (await cluster.client.get(daemonSets, ns, "agent")) as appsV1DaemonSet.DaemonSet;
      const s = ds.status;
      return s && s.desiredNumberScheduled === 1 && s.currentNumberScheduled === 1 && s.numberReady === 1 && s.numberAvailable === 1 &&
        s.updatedNumberScheduled === 1 && s.numberMisscheduled === 0 && s.observedGeneration === ds.metadata?.generation ? ds : undefined;
    },
    { timeoutMs: 20_000, message: "status counts one scheduled, ready, available pod" },
  );
  assert.equal(ready.status?.numberUnavailable, 0);

  // A new template: the pod is replaced by one with the new revision hash.
  await createNode("n5", { role: "worker" });
  await waitForNodes("agent", ["n3", "n5"], "n5 gets a pod");
  const before = await cluster.client.list(pods, { namespace: ns });
  const oldHashes = new Set(before.items.map((p) => p.metadata?.labels["controller-revision-hash"]));
  await cluster.client.patch(daemonSets, ns, "agent", { spec: { template: { spec: { containers: [{ name: "agent", image: "agent:v2" }] } } } });
  await waitFor(
    async () => {
      const list = await cluster.client.list(pods, { namespace: ns });
      const live = list.items.filter((p) => !p.metadata?.deletionTimestamp);
      return live.length === 2 && live.every((p) => !oldHashes.has(p.metadata?.labels["controller-revision-hash"]) && (p as typeof p & { status: { phase: string } }).status.phase === "Running");
    },
    { timeoutMs: 30_000, message: "every daemon pod runs the new template" },
  );
  const revisions = await cluster.client.list(kindFor("apps/v1", "ControllerRevision")!, { namespace: ns });
  assert.equal(revisions.items.length, 2, "one ControllerRevision per template");

  // Each pod the controller made or removed is an event on the DaemonSet.
  const uid = ((await cluster.client.get(daemonSets, ns, "agent")) as appsV1DaemonSet.DaemonSet).metadata!.uid;
  const live = (await cluster.client.list(pods, { namespace: ns })).items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata!.name);
  const seen = await waitFor(async () => {
    const all = await eventsAbout(cluster, ns, uid);
    const created = new Set(all.filter((e) => e.reason === "SuccessfulCreate").map((e) => e.message));
    return live.every((n) => created.has(`Created pod: ${n}`)) && all.some((e) => e.reason === "SuccessfulDelete") ? all : undefined;
  }, { timeoutMs: 10_000, message: "SuccessfulCreate for every live pod and a SuccessfulDelete on the DaemonSet" });
  for (const e of seen) {
    assert.equal(e.source?.component, "daemonset-controller");
    assert.equal(e.type, "Normal");
    assert.match(e.message, /^(Created|Deleted) pod: agent-/);
  }
});
