// The dashboard panels that need a real node (container CPU and memory, runtime operations, pod sync): a kubelet on containerd, in a network namespace of the test's own, scraped by a real Prometheus.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  enterTestNetns,
  runKpctl,
  serviceEntry,
  startControlPlane,
  startNodeStack,
  startPrometheus,
  startServiceProcess,
  waitFor,
  type ControlPlane,
  type NodeStack,
  type Prometheus,
  type ServiceProcess,
} from "@kubeplane/testing";
import { dashboards } from "../src/dashboards.js";
import { jobs } from "../src/jobs.js";
import { packageRoot } from "../src/paths.js";
import { renderPrometheusConfig } from "../src/prometheus-config.js";
import { kpctlCredentials, panelsWithoutSeries, processJob, prometheusTls } from "./support.js";

const isRoot = process.getuid?.() === 0;
if (isRoot) await enterTestNetns(import.meta.url);

describe("real-node dashboard panels", { skip: isRoot ? false : "needs root (containerd, runc, CNI in a network namespace)" }, () => {
  let cp: ControlPlane;
  let node: NodeStack;
  let prom: Prometheus;
  const procs: ServiceProcess[] = [];

  before(async () => {
    cp = await startControlPlane();
    const cluster = { apiserver: cp.apiserver.grpcAddress, "nats-url": cp.nats.url };
    procs.push(await startServiceProcess({ entry: serviceEntry("scheduler"), flags: cluster }));
    procs.push(await startServiceProcess({ entry: serviceEntry("controller-manager"), flags: { ...cluster, controllers: "deployment,replicaset" } }));
    node = await startNodeStack(cp, { nodeName: "obs-node", podCidr: "10.88.19.0/24" });
    const tls = await prometheusTls();
    prom = await startPrometheus({
      config: ({ address }) =>
        renderPrometheusConfig({
          jobs: [processJob(jobs.kubelet, [node.kubelet]), processJob(jobs.apiserver, [cp.apiserver]), { name: jobs.prometheus, targets: [address], useTls: false }],
          tls,
          scrapeInterval: "1s",
        }),
    });
  });

  after(async () => {
    await prom?.stop();
    for (const p of procs.reverse()) await p.kill();
    await node?.stop();
    await cp?.stop();
  });

  test("after the README's example, container CPU and memory, runtime and pod sync panels return series", async () => {
    const credentials = await kpctlCredentials(cp);
    for (const args of [
      ["apply", "-f", join(packageRoot, "../examples/busybox-web.yaml")],
      ["rollout", "status", "deploy/busybox-web", "--timeout=120s"],
    ]) {
      const res = await runKpctl(cp.apiserver.grpcAddress, [...credentials, ...args], { timeoutMs: 150_000 });
      assert.equal(res.code, 0, `kpctl ${args.join(" ")}: ${res.stderr}`);
    }
    const panels = dashboards.flatMap((d) => d.panels.filter((p) => p.needs === "real-node").map((p) => ({ ...p, where: `${d.title} / ${p.title}` })));
    assert.ok(panels.length >= 4);
    await waitFor(async () => (await panelsWithoutSeries(prom, panels)).length === 0, {
      timeoutMs: 60_000,
      intervalMs: 1_000,
      message: `every real-node panel returns a series (${panels.length} panels)`,
    }).catch(async (err: unknown) => assert.fail(`${(err as Error).message}; no series for:\n  ${(await panelsWithoutSeries(prom, panels)).join("\n  ")}`));
    // The CPU panel is a rate: the containers did use CPU (httpd started, the readiness probe polls it).
    const cpu = await prom.query('sum(container_cpu_usage_seconds_total{namespace="default"})');
    assert.ok(Number(cpu[0]?.value[1]) > 0, "the pods' containers used CPU");
  });
});
