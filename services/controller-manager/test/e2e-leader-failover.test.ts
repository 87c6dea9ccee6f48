// End-to-end: two controller-manager processes; the leader is SIGKILLed mid-rollout and the standby finishes it within maxSurge.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { appsV1Deployment, coreV1Pod, kindFor, type appsV1ReplicaSet, type coordinationV1, type KindInfo } from "@kubeplane/api";
import { waitFor, type ServiceProcess } from "@kubeplane/testing";
import { pods, startCmCluster, startControllerManagerProcess, startFakeKubelets, type CmCluster } from "./harness.js";

type Deployment = appsV1Deployment.Deployment;
type ReplicaSet = appsV1ReplicaSet.ReplicaSet;
type Pod = coreV1Pod.Pod;

const deployments = kindFor("apps/v1", "Deployment") as KindInfo<Deployment>;
const replicaSets = kindFor("apps/v1", "ReplicaSet") as KindInfo<ReplicaSet>;
const leases = kindFor("coordination.k8s.io/v1", "Lease") as KindInfo<coordinationV1.Lease>;
const ns = "default";
const app = "failover";
const HASH = "pod-template-hash";
const LEADING = 'leader_election_master_status{name="kube-controller-manager"} 1';

const isTerminating = (p: Pod): boolean => Boolean(p.metadata?.deletionTimestamp) || p.status?.phase === "Succeeded" || p.status?.phase === "Failed";
const isReady = (p: Pod): boolean => p.status?.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false;

function template(image: string): coreV1Pod.PodTemplateSpec {
  return coreV1Pod.PodTemplateSpec.fromPartial({ metadata: { labels: { app } }, spec: { containers: [{ name: "app", image }] } });
}

/** Every pod event of the app, replayed into a local model: the most non-terminating pods there ever were at once. */
class PodHistory {
  readonly pods = new Map<string, Pod>();
  maxActive = 0;
  private readonly abort = new AbortController();
  readonly done: Promise<void>;

  constructor(cluster: CmCluster) {
    this.done = this.run(cluster);
  }

  private async run(cluster: CmCluster): Promise<void> {
    for await (const ev of cluster.client.watch(pods, { namespace: ns, labelSelector: `app=${app}`, signal: this.abort.signal })) {
      if (ev.type === "BOOKMARK") continue;
      const pod = ev.object as Pod;
      if (ev.type === "DELETED") this.pods.delete(pod.metadata!.name);
      else this.pods.set(pod.metadata!.name, pod);
      this.maxActive = Math.max(this.maxActive, [...this.pods.values()].filter((p) => !isTerminating(p)).length);
    }
  }

  count(pred: (p: Pod) => boolean): number {
    return [...this.pods.values()].filter(pred).length;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done.catch(() => undefined);
  }
}

describe("controller-manager leader failover (e2e)", () => {
  let cluster: CmCluster;
  const managers = new Map<string, ServiceProcess>();
  const kubelets = new AbortController();
  let kubeletsDone: Promise<void> | undefined;

  before(async () => {
    cluster = await startCmCluster();
    // Pods become Ready 300 ms after they start, so a rollout of 10 takes several steps.
    kubeletsDone = startFakeKubelets(cluster, ["node-1", "node-2", "node-3"], kubelets.signal, { readyDelayMs: 300 });
    const started = await Promise.all(
      ["cm-a", "cm-b"].map((identity) =>
        startControllerManagerProcess(cluster, {
          "leader-elect": "true",
          "lease-duration": "2s",
          "renew-deadline": "1500ms",
          "retry-period": "250ms",
          identity,
        }),
      ),
    );
    managers.set("cm-a", started[0]!);
    managers.set("cm-b", started[1]!);
  });

  after(async () => {
    kubelets.abort();
    await Promise.allSettled([kubeletsDone, ...[...managers.values()].map((m) => m.kill("SIGKILL"))]);
    await cluster?.stop();
  });

  /** The identity whose /metrics says it leads, once exactly one does and the Lease agrees. */
  async function leader(candidates: string[]): Promise<string> {
    return waitFor(async () => {
      const leading = [];
      for (const id of candidates) if ((await managers.get(id)!.metrics()).includes(LEADING)) leading.push(id);
      if (leading.length !== 1) return undefined;
      const lease = (await cluster.client.get(leases, "kube-system", "kube-controller-manager")) as coordinationV1.Lease;
      return lease.spec?.holderIdentity === leading[0] ? leading[0] : undefined;
    }, { timeoutMs: 15_000, message: `one leader among ${candidates.join(", ")}` });
  }

  async function ownedReplicaSets(d: Deployment): Promise<ReplicaSet[]> {
    const list = await cluster.client.list(replicaSets, { namespace: ns });
    return (list.items as ReplicaSet[]).filter((rs) => rs.metadata?.ownerReferences.some((r) => r.controller && r.uid === d.metadata!.uid));
  }

  async function waitComplete(timeoutMs: number): Promise<Deployment> {
    return waitFor(async () => {
      const d = (await cluster.client.get(deployments, ns, app)) as Deployment;
      const s = d.status;
      const done = s !== undefined && s.observedGeneration >= d.metadata!.generation && s.replicas === 10 && s.updatedReplicas === 10 && s.availableReplicas === 10;
      return done ? d : undefined;
    }, { timeoutMs, message: `${app} rolled out at 10` });
  }

  it("the standby finishes a rollout whose leader was SIGKILLed, never exceeding maxSurge", async (t) => {
    const first = await leader(["cm-a", "cm-b"]);
    const standby = first === "cm-a" ? "cm-b" : "cm-a";

    const created = (await cluster.client.create(
      deployments,
      appsV1Deployment.Deployment.fromPartial({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: app, namespace: ns },
        spec: {
          replicas: 10,
          selector: { matchLabels: { app } },
          template: template("nginx:1.27"),
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "3", maxUnavailable: "2" } },
        },
      }),
    )) as Deployment;
    await waitComplete(30_000);
    const [oldRs] = await ownedReplicaSets(created);
    const oldHash = oldRs!.metadata!.labels[HASH]!;

    const history = new PodHistory(cluster);
    try {
      await waitFor(() => history.count((p) => !isTerminating(p) && isReady(p)) === 10, { message: "watch replayed 10 ready pods" });

      await waitFor(async () => {
        const d = appsV1Deployment.Deployment.fromPartial(await cluster.client.get(deployments, ns, app));
        d.spec!.template = template("nginx:1.28");
        return (await cluster.client.update(deployments, d)) as Deployment;
      }, { message: "template update" });

      // Mid-rollout: the new ReplicaSet has been scaled up, but not yet to 10.
      const newRsMid = await waitFor(async () => {
        const rs = (await ownedReplicaSets(created)).find((r) => r.metadata!.labels[HASH] !== oldHash);
        const replicas = rs?.spec?.replicas ?? 0;
        return rs && replicas > 0 && replicas < 10 ? rs : undefined;
      }, { message: "new ReplicaSet scaled up part-way" });
      await managers.get(first)!.kill("SIGKILL");
      const killedAt = Date.now();
      const newHash = newRsMid.metadata!.labels[HASH]!;
      const atKill = (await ownedReplicaSets(created)).find((r) => r.metadata!.labels[HASH] === newHash)!;
      const replicasAtKill = atKill.spec?.replicas ?? 0;
      assert.ok(replicasAtKill < 10, `rollout had not finished when the leader died (new RS at ${replicasAtKill})`);

      assert.equal(await leader([standby]), standby);
      const tookOverMs = Date.now() - killedAt;
      const done = await waitComplete(30_000);
      assert.deepEqual([done.status?.observedGeneration, done.status?.updatedReplicas, done.status?.availableReplicas], [done.metadata!.generation, 10, 10]);

      await waitFor(() => history.count((p) => !isTerminating(p) && isReady(p) && p.metadata!.labels[HASH] === newHash) === 10 && history.pods.size === 10, {
        timeoutMs: 15_000,
        message: "exactly 10 new pods in the watch",
      });
      assert.ok(history.maxActive <= 13, `${history.maxActive} non-terminating pods at once (maxSurge 3 over 10)`);

      const rss = await waitFor(async () => {
        const list = await ownedReplicaSets(created);
        return list.length === 2 && list.every((rs) => rs.status?.replicas === rs.spec?.replicas) ? list : undefined;
      }, { message: "both ReplicaSets settled" });
      const byHash = new Map(rss.map((rs) => [rs.metadata!.labels[HASH]!, rs]));
      assert.equal(byHash.get(newHash)?.spec?.replicas, 10);
      assert.equal(byHash.get(oldHash)?.spec?.replicas, 0);
      assert.equal(byHash.get(oldHash)?.metadata!.uid, oldRs!.metadata!.uid);
      // The takeover is bounded by the 2 s lease duration plus the standby's informers syncing.
      t.diagnostic(`standby led ${tookOverMs} ms after the kill, new ReplicaSet was at ${replicasAtKill}/10`);
    } finally {
      await history.stop();
    }
  });
});
