// Integration test of ExplainSchedule on a real apiserver: every node's filter verdict or scores, and the winner, over the scheduler's gRPC listener.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { status as grpcStatus, type ServiceError } from "@grpc/grpc-js";
import { schedulerV1 } from "@kubeplane/api";
import { grpcCredentials, waitFor } from "@kubeplane/testing";
import type { RunningScheduler } from "../src/index.js";
import { cleanUp, createNamespace, node, nodes, pod, pods, startCluster, startTestScheduler, type Cluster } from "./support.js";

// A second profile without a binder: its pods stay pending, so the explanation is not raced by a bind.
const PROFILES = `
profiles:
  - schedulerName: default-scheduler
  - schedulerName: explain-only
    plugins:
      bind:
        disabled: [{ name: DefaultBinder }]
`;

function explain(client: schedulerV1.SchedulerServiceClient, namespace: string, name: string): Promise<schedulerV1.ExplainScheduleResponse> {
  return new Promise((resolve, reject) => {
    client.explainSchedule({ namespace, name }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

describe("ExplainSchedule on a real apiserver", () => {
  let cluster: Cluster;
  let sched: RunningScheduler;
  let client: schedulerV1.SchedulerServiceClient;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "explain-"));
    writeFileSync(join(dir, "profiles.yaml"), PROFILES);
    cluster = await startCluster();
    sched = await startTestScheduler(cluster, { profilesFile: join(dir, "profiles.yaml") });
    client = new schedulerV1.SchedulerServiceClient(sched.service.listening.grpcAddress, grpcCredentials());
  });

  after(async () => {
    client?.close();
    await sched?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("names the filter that rejected each node and scores the one that fits", async (t) => {
    const ns = "explain";
    const names = ["x-gpu", "x-small", "x-fit"];
    await createNamespace(cluster.client, ns);
    t.after(() => cleanUp(cluster.client, ns, names));
    await cluster.client.create(nodes, node("x-gpu", { cpu: "8", taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] }));
    await cluster.client.create(nodes, node("x-small", { cpu: "1" }));
    await cluster.client.create(nodes, node("x-fit", { cpu: "4" }));
    await cluster.client.create(pods, pod(ns, "web", "2", { schedulerName: "explain-only" }));

    const res = await waitFor(async () => {
      const r = await explain(client, ns, "web").catch((err: ServiceError) => {
        if (err.code === grpcStatus.NOT_FOUND) return undefined;
        throw err;
      });
      return r && r.nodes.length === 3 ? r : undefined;
    }, { message: "the scheduler's caches hold the pod and the three nodes" });

    assert.equal(res.pod, "explain/web");
    assert.equal(res.profile, "explain-only");
    const byName = new Map(res.nodes.map((n) => [n.nodeName, n]));
    const gpu = byName.get("x-gpu")!;
    assert.equal(gpu.feasible, false);
    assert.equal(gpu.rejectedBy, "TaintToleration");
    assert.deepEqual(gpu.reasons, ["node(s) had untolerated taint {dedicated: gpu}"]);
    const small = byName.get("x-small")!;
    assert.equal(small.feasible, false);
    assert.equal(small.rejectedBy, "NodeResourcesFit");
    assert.deepEqual(small.reasons, ["Insufficient cpu"]);
    const fit = byName.get("x-fit")!;
    assert.equal(fit.feasible, true);
    assert.equal(fit.rejectedBy, "");
    assert.ok("NodeResourcesFit" in fit.scores && "TaintToleration" in fit.scores, `per-plugin scores: ${JSON.stringify(fit.scores)}`);
    assert.equal(fit.totalScore, Object.values(fit.scores).reduce((a, b) => a + b, 0));
    assert.equal(res.winner, "x-fit");

    const still = (await cluster.client.get(pods, ns, "web")) as { spec?: { nodeName?: string } };
    assert.equal(still.spec?.nodeName ?? "", "", "explaining never binds");
  });

  it("answers NotFound for a pod the scheduler does not know", async () => {
    await assert.rejects(explain(client, "explain", "missing"), (err: ServiceError) => {
      assert.equal(err.code, grpcStatus.NOT_FOUND);
      assert.match(err.details, /pods "missing" not found/);
      return true;
    });
  });
});
