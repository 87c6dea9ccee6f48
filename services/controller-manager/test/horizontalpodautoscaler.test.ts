// The HPA end to end on a real apiserver: pod usage from a simulated node's kubelet stats (over mTLS), through metrics.k8s.io,
// to an autoscaling/v1 HPA at 50 % that scales a Deployment up under load and back down after the (shortened) stabilization window.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { appsV1Deployment, kindFor, nodeMetricsInfo, podMetricsInfo, type autoscalingV2, type coreV1Event, type KindInfo } from "@kubeplane/api";
import { serviceEntry, startServiceProcess, testPki, waitFor, type ServiceProcess } from "@kubeplane/testing";
import { pods, startCmCluster, type CmCluster } from "./harness.js";

type HPA = autoscalingV2.HorizontalPodAutoscaler;
const deployments = kindFor("apps/v1", "Deployment") as KindInfo<appsV1Deployment.Deployment>;
const hpaV1 = kindFor("autoscaling/v1", "HorizontalPodAutoscaler")!;
const hpaV2 = kindFor("autoscaling/v2", "HorizontalPodAutoscaler") as KindInfo<HPA>;
const events = kindFor("v1", "Event") as KindInfo<coreV1Event.Event>;
const NODE = "hpa-sim-0";
const ns = "default";
const CPU = "kubeplane.io/simulated-cpu-usage";
const WINDOW_MS = 5000;

describe("horizontal pod autoscaler", () => {
  let cluster: CmCluster;
  let kubelet: ServiceProcess;

  before(async () => {
    cluster = await startCmCluster({ apiserverFlags: { "metric-resolution": "1s" } });
    const pki = await testPki();
    await pki.node(NODE); // the simulated node's own serving certificate: the apiserver dials it as it dials any kubelet
    kubelet = await startServiceProcess({
      entry: serviceEntry("kubelet"),
      flags: { apiserver: cluster.apiserver.grpcAddress, "nats-url": cluster.nats.url, simulate: "1", "simulate-prefix": "hpa-sim", "simulate-stats-cert-dir": pki.dir },
    });
    await cluster.startControllerManager({
      controllers: ["replicaset", "deployment", "horizontalpodautoscaling"],
      horizontalPodAutoscalerSyncPeriod: 1000,
      horizontalPodAutoscalerDownscaleStabilization: WINDOW_MS,
    });
  });

  after(async () => {
    await kubelet?.kill();
    await cluster?.stop();
  });

  const replicas = async (): Promise<number> => ((await cluster.client.get(deployments, ns, "burner")) as appsV1Deployment.Deployment).spec?.replicas ?? 0;
  const getHpa = async (): Promise<HPA> => (await cluster.client.get(hpaV2, ns, "burner")) as HPA;
  const rescales = async (): Promise<string[]> =>
    (await cluster.client.list(events, { namespace: ns, fieldSelector: "involvedObject.name=burner,reason=SuccessfulRescale" })).items.map((e) => (e as coreV1Event.Event).message);

  it("an autoscaling/v1 HPA at 50 % scales a CPU-burning Deployment up under load and down after the stabilization window", async (t) => {
    const started = Date.now();
    const phase = (what: string): void => t.diagnostic(`${what} after ${Date.now() - started} ms`);
    await cluster.client.create(
      deployments,
      appsV1Deployment.Deployment.fromPartial({
        metadata: { name: "burner", namespace: ns },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "burner" } },
          template: {
            // Every pod burns 200m of its 100m request: 200 % against a 50 % target.
            metadata: { labels: { app: "burner" }, annotations: { [CPU]: "200m" } },
            spec: { nodeName: NODE, containers: [{ name: "burn", image: "busybox", resources: { requests: { cpu: "100m" } } }] },
          },
        },
      }),
    );
    // The classic manifest, unchanged.
    await cluster.client.json.create(hpaV1, {
      apiVersion: "autoscaling/v1",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "burner", namespace: ns },
      spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "burner" }, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 },
    });

    // metrics.k8s.io serves the simulated kubelet's figures.
    const metrics = await waitFor(async () => (await cluster.client.list(podMetricsInfo as unknown as KindInfo, { namespace: ns, labelSelector: "app=burner" })).items[0], {
      timeoutMs: 15_000,
      message: "PodMetrics of the burner pod",
    });
    assert.equal((metrics as unknown as { containers: { usage: Record<string, string> }[] }).containers[0]?.usage.cpu, "200000000n");
    assert.ok(await cluster.client.get(nodeMetricsInfo as unknown as KindInfo, "", NODE));

    // Up: 1 → 4 (at most double, at least 4, in one step), then to maxReplicas.
    await waitFor(async () => (await replicas()) === 5, { timeoutMs: 20_000, message: "the Deployment scaled up to maxReplicas (5)" });
    phase("scaled up to 5");
    // The controller writes its events in the background: the rescale to 4 may be recorded a moment after the scale to 5 shows.
    let up: string[] = [];
    await waitFor(async () => (up = await rescales()).includes("New size: 4; reason: cpu resource utilization (percentage of request) above target"), {
      timeoutMs: 10_000,
      message: "the SuccessfulRescale event of the step to 4",
    }).catch((err: Error) => {
      throw new Error(`${err.message}; events seen: ${up.join(" | ") || "none"}`);
    });
    const asV1 = (await cluster.client.json.get(hpaV1, ns, "burner")) as { spec: Record<string, unknown>; status: Record<string, unknown> };
    assert.equal(asV1.spec.targetCPUUtilizationPercentage, 50);
    assert.equal(asV1.status.desiredReplicas, 5);
    const limited = await waitFor(async () => {
      const hpa = await getHpa();
      return hpa.status?.conditions.find((c) => c.type === "ScalingLimited" && c.status === "True") && hpa;
    }, { timeoutMs: 10_000, message: "ScalingLimited=True" });
    assert.equal(limited.status?.conditions.find((c) => c.type === "ScalingLimited")?.reason, "TooManyReplicas");
    assert.equal(limited.status?.conditions.find((c) => c.type === "ScalingActive")?.reason, "ValidMetricFound");
    assert.ok(limited.status?.lastScaleTime);

    // The load stops: every pod's usage drops to 0.
    const loadStopped = Date.now();
    for (const pod of (await cluster.client.list(pods, { namespace: ns, labelSelector: "app=burner" })).items) {
      await cluster.client.patch(pods, ns, pod.metadata!.name, { metadata: { annotations: { [CPU]: "0" } } });
    }
    await waitFor(async () => {
      const hpa = await getHpa();
      return hpa.status?.currentMetrics[0]?.resource?.current?.averageUtilization === 0;
    }, { timeoutMs: 15_000, intervalMs: 50, message: "the HPA to see 0 % utilization" });
    const idleSeen = Date.now();
    phase("0 % seen");
    await waitFor(async () => (await replicas()) === 1, { timeoutMs: 20_000, intervalMs: 50, message: "the Deployment scaled back down to minReplicas (1)" });
    const scaledDown = Date.now();
    phase(`scaled down to 1 (${scaledDown - loadStopped} ms after the load stopped, ${scaledDown - idleSeen} ms after 0 % was seen)`);
    // Until the load stopped every reconcile (one a sync period, 1 s) recommended the maximum, so the last high
    // recommendation is at most about a second older than the stop, and the scale-down waits a whole window after
    // it: judged from when the load stopped, which this test knows exactly, not from when it saw the HPA's status.
    assert.ok(scaledDown - loadStopped >= WINDOW_MS - 2000, `scaled down ${scaledDown - loadStopped} ms after the load stopped; the stabilization window is ${WINDOW_MS} ms`);
    await waitFor(async () => (await rescales()).includes("New size: 1; reason: All metrics below target"), { timeoutMs: 10_000, message: "the SuccessfulRescale event of the step to 1" });
  });
});
