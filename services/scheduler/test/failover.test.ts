// Integration test of scheduler failover: two leader-electing processes, the leader SIGKILLed mid-burst, no pod bound twice.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiErrors, kindFor, type coordinationV1, type KindInfo } from "@kubeplane/api";
import { startServiceProcess, waitFor, type ServiceProcess } from "@kubeplane/testing";
import { createNamespace, node, nodes, pod, pods, PodHistory, schedulerMain, startCluster, type Cluster, type Pod } from "./support.js";

const leases = kindFor("coordination.k8s.io/v1", "Lease") as KindInfo<coordinationV1.Lease>;
const POD_COUNT = 200;

/** The value of one series of a Prometheus text exposition; 0 when absent. */
function metricValue(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe("scheduler failover on a real apiserver", () => {
  let cluster: Cluster;
  const schedulers = new Map<string, ServiceProcess>();

  before(async () => {
    cluster = await startCluster();
  });

  after(async () => {
    await Promise.allSettled([...schedulers.values()].map((s) => s.kill("SIGKILL")));
    await cluster?.stop();
  });

  async function startReplica(identity: string): Promise<ServiceProcess> {
    const proc = await startServiceProcess({
      entry: schedulerMain,
      flags: {
        apiserver: cluster.apiserver.grpcAddress,
        "nats-url": cluster.nats.url,
        "leader-elect": "true",
        identity,
        "lease-duration": "2s",
        "renew-deadline": "1500ms",
        "retry-period": "250ms",
      },
    });
    schedulers.set(identity, proc);
    return proc;
  }

  async function holder(): Promise<string> {
    const lease = (await cluster.client.get(leases, "kube-system", "kube-scheduler").catch(() => undefined)) as coordinationV1.Lease | undefined;
    return lease?.spec?.holderIdentity ?? "";
  }

  it("killing the leader mid-burst lets the standby bind all 200 pods, none of them twice", async () => {
    const c = cluster.client;
    const ns = "failover";
    await createNamespace(c, ns);
    const nodeNames = Array.from({ length: 10 }, (_v, i) => `fo-${i}`);
    await Promise.all(nodeNames.map((n) => c.create(nodes, node(n, { cpu: "32" }))));

    await startReplica("sched-a");
    await waitFor(async () => (await holder()) === "sched-a", { message: "sched-a holds the lease" });
    await startReplica("sched-b");

    const history = await PodHistory.start(c, ns);
    try {
      let created = 0;
      const creating = (async () => {
        // A steady stream rather than one batch, so the kill lands while pods are still arriving.
        for (let i = 0; i < POD_COUNT; i += 5) {
          await Promise.all(Array.from({ length: 5 }, (_v, k) => c.create(pods, pod(ns, `fo-pod-${i + k}`, "100m"))));
          created += 5;
        }
      })();
      await waitFor(() => {
        history.check();
        return history.bindings().length >= 40;
      }, { timeoutMs: 20_000, message: "the leader bound 40 pods" });
      const leader = await holder();
      const standby = leader === "sched-a" ? "sched-b" : "sched-a";
      assert.equal(leader, "sched-a");
      await schedulers.get(leader)!.kill("SIGKILL");
      const boundAtKill = history.bindings().length;
      assert.ok(created < POD_COUNT, `the kill landed mid-burst (${created} of ${POD_COUNT} created, ${boundAtKill} bound)`);
      await creating;

      await waitFor(async () => (await holder()) === standby, { timeoutMs: 10_000, message: `${standby} takes the lease` });
      await waitFor(() => {
        history.check();
        return history.bindings().length >= POD_COUNT;
      }, { timeoutMs: 25_000, intervalMs: 50, message: `${POD_COUNT} pods bound (${history.bindings().length} so far)` });

      assert.deepEqual(history.rebound(), [], "spec.nodeName never changes once set");
      const listed = (await c.list(pods, { namespace: ns })).items as Pod[];
      assert.equal(listed.length, POD_COUNT);
      assert.deepEqual(listed.filter((p) => !p.spec?.nodeName).map((p) => p.metadata!.name), []);
      const bound = new Map(history.bindings().map((b) => [b.name, b.node]));
      for (const p of listed) assert.equal(p.spec!.nodeName, bound.get(p.metadata!.name), `${p.metadata!.name} where the watch saw it bound`);

      // The standby never had a binding refused: it did not race a binding the old leader made.
      const metrics = await schedulers.get(standby)!.metrics();
      assert.equal(metricValue(metrics, 'scheduler_schedule_attempts_total{result="error",profile="default-scheduler"}'), 0, "no failed bindings");
      // The watch lags the apiserver, so the leader's share is not known exactly: the standby did part of the work.
      const byStandby = metricValue(metrics, 'scheduler_schedule_attempts_total{result="scheduled",profile="default-scheduler"}');
      assert.ok(byStandby > 0 && byStandby <= POD_COUNT - 40, `the standby scheduled ${byStandby} pods`);
      assert.equal(metricValue(metrics, "leader_election_master_status"), 1);

      // And the apiserver refuses a second binding outright.
      const some = listed[0]!;
      const other = nodeNames.find((n) => n !== some.spec!.nodeName)!;
      await assert.rejects(c.bind(ns, some.metadata!.name, other), (err: unknown) => apiErrors.isConflict(err), "a second bind is a Conflict");
    } finally {
      await history.stop();
    }
  });
});
