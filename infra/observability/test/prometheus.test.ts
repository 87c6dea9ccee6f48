// A real Prometheus scraping a real cluster (control plane, scheduler, both controller managers, kube-proxy, dns, ingress, a simulated kubelet, the NATS exporter): targets up, every panel answers, the scheduler's down alert.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import {
  createNetns,
  deleteNetns,
  etcdClientTls,
  freePort,
  runKpctl,
  serviceEntry,
  startControlPlane,
  startPrometheus,
  startServiceProcess,
  waitFor,
  type ControlPlane,
  type Prometheus,
  type ServiceProcess,
} from "@kubeplane/testing";
import { dashboards } from "../src/dashboards.js";
import { jobs } from "../src/jobs.js";
import { packageRoot, rulesDir } from "../src/paths.js";
import { renderPrometheusConfig, type ScrapeJob } from "../src/prometheus-config.js";
import { kpctlCredentials, panelsWithoutSeries, processJob, prometheusTls } from "./support.js";

const execFileAsync = promisify(execFile);
const repoRoot = join(packageRoot, "../..");
const isRoot = process.getuid?.() === 0;
/** The scheduler's down alert in the test's copy of the rules: long enough to be seen pending, short enough to fire. */
const testFor = "8s";

/** The shipped rules, with KubeSchedulerDown's `for` shortened (the only change). */
async function testRuleFiles(): Promise<Record<string, string>> {
  const alerts = parse(await readFile(join(rulesDir, "alerts.yaml"), "utf8")) as { groups: Array<{ rules: Array<{ alert?: string; for?: string }> }> };
  const rule = alerts.groups.flatMap((g) => g.rules).find((r) => r.alert === "KubeSchedulerDown");
  assert.ok(rule, "alerts.yaml has KubeSchedulerDown");
  rule.for = testFor;
  return { "alerts.yaml": stringify(alerts), "recording.yaml": await readFile(join(rulesDir, "recording.yaml"), "utf8") };
}

describe("Prometheus on a running cluster", { skip: isRoot ? false : "needs root (kube-proxy programs nftables in a network namespace)" }, () => {
  let cp: ControlPlane;
  let prom: Prometheus;
  let netns = "";
  let cloudDir = "";
  let ingressPort = 0;
  let dnsPort = 0;
  const procs = new Map<string, ServiceProcess>();

  const start = async (job: string, service: string, flags: Record<string, string>): Promise<void> => {
    const once = (): Promise<ServiceProcess> => startServiceProcess({ entry: serviceEntry(service), flags, readyTimeoutMs: 60_000 });
    // A free port can be taken by another process before the service binds it: try fresh ones once.
    procs.set(job, await once().catch((err: unknown) => (/EADDRINUSE/.test(String((err as Error).message)) ? once() : Promise.reject(err))));
  };

  before(async () => {
    cp = await startControlPlane();
    const cluster = { apiserver: cp.apiserver.grpcAddress, "nats-url": cp.nats.url };
    netns = await createNetns("obs");
    cloudDir = await mkdtemp(join(tmpdir(), "kp-obs-cloud-"));
    await writeFile(join(cloudDir, "machines.yaml"), stringify({ machines: [] }));
    await writeFile(join(cloudDir, "cloud.yaml"), stringify({ inventory: { file: "machines.yaml" }, loadBalancer: { pools: [{ name: "test", addresses: ["10.246.0.1-10.246.0.6"] }] } }));
    [ingressPort, dnsPort] = [await freePort(), await freePort()];
    // One at a time: the machine has two cores, and every service compiles its sources at start.
    await start(jobs.scheduler, "scheduler", cluster);
    await start(jobs.controllerManager, "controller-manager", cluster);
    await start(jobs.cloudControllerManager, "cloud-controller-manager", { ...cluster, "cloud-config": join(cloudDir, "cloud.yaml"), "local-node-name": "obs-sim-0" });
    await start(jobs.kubelet, "kubelet", { ...cluster, simulate: "2", "simulate-prefix": "obs-sim" });
    await start(jobs.kubeProxy, "kube-proxy", { ...cluster, netns });
    await start(jobs.dns, "dns", { ...cluster, "dns-listen": `127.0.0.1:${dnsPort}` });
    await start(jobs.ingressController, "ingress-controller", {
      ...cluster,
      "proxy-http-listen": `127.0.0.1:${ingressPort}`,
      "proxy-https-listen": `127.0.0.1:${await freePort()}`,
      "publish-address": "127.0.0.1",
    });
    // No certificate of its own in the test PKI yet: it serves plain HTTP.
    await start(jobs.nats, "nats-exporter", { "nats-monitor-url": cp.nats.monitorUrl, "insecure-serving": "true" });

    const scrapeTls = await prometheusTls();
    const serviceJobs = [[jobs.apiserver, cp.apiserver] as const, ...procs.entries()].map(([name, p]) => processJob(name, [p]));
    const etcdJob: ScrapeJob = {
      name: jobs.etcd,
      targets: cp.etcd.members.map((m) => ({ address: new URL(m.clientUrl).host, labels: { member: m.name } })),
      ...(cp.etcd.members[0]!.clientUrl.startsWith("https:") ? { tls: etcdClientTls() } : { useTls: false }),
    };
    prom = await startPrometheus({
      ruleFiles: await testRuleFiles(),
      config: ({ address, ruleFiles }) =>
        renderPrometheusConfig({
          jobs: [...serviceJobs, etcdJob, { name: jobs.prometheus, targets: [address], useTls: false }],
          tls: scrapeTls,
          scrapeInterval: "1s",
          ruleFiles,
        }),
    });
  });

  after(async () => {
    await prom?.stop();
    for (const p of [...procs.values()].reverse()) await p.kill();
    if (netns) await deleteNetns(netns);
    if (cloudDir) await rm(cloudDir, { recursive: true, force: true });
    await cp?.stop();
  });

  test("every job has its targets up, one job per component", async () => {
    const expected = Object.values(jobs).sort();
    const ups = await waitFor(
      async () => {
        const samples = await prom.query("up");
        const byJob = new Map<string, number[]>();
        for (const s of samples) byJob.set(s.metric.job!, [...(byJob.get(s.metric.job!) ?? []), Number(s.value[1])]);
        const allUp = expected.every((j) => (byJob.get(j) ?? []).length > 0 && byJob.get(j)!.every((v) => v === 1));
        return allUp ? byJob : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, message: "up == 1 for every job" },
    ).catch(async (err: unknown) => {
      const targets = (await prom.targets()).map((t) => `${t.labels.job} ${t.scrapeUrl}: ${t.health} ${t.lastError}`);
      assert.fail(`${(err as Error).message}\n  ${targets.join("\n  ")}`);
    });
    assert.deepEqual([...ups.keys()].sort(), expected);
  });

  test("after the README's example, every dashboard panel's query returns at least one series", async () => {
    const server = cp.apiserver.grpcAddress;
    const examples = join(repoRoot, "infra/examples");
    const credentials = await kpctlCredentials(cp);
    for (const args of [
      ["apply", "-f", join(examples, "busybox-web.yaml")],
      ["rollout", "status", "deploy/busybox-web", "--timeout=60s"],
      ["apply", "-f", join(examples, "busybox-web-ingress.yaml")],
      ["get", "pods", "-o", "wide"],
    ]) {
      const res = await runKpctl(server, [...credentials, ...args], { timeoutMs: 90_000 });
      if (res.code !== 0) {
        const state = await Promise.all([["get", "nodes"], ["get", "deploy,rs,pods", "-o", "wide"], ["get", "events"]].map((a) => runKpctl(server, [...credentials, ...a])));
        const logs = [...procs.entries()].map(([job, p]) => `--- ${job}\n${p.output().slice(-1500)}`).join("\n");
        assert.fail(`kpctl ${args.join(" ")}: ${res.stderr}\n${state.map((r) => r.stdout).join("\n")}\n${logs}`);
      }
    }
    // What a user does next: watch the pods for a while (a gRPC watch), look a name up, go through the ingress.
    const watch = await runKpctl(server, [...credentials, "get", "pods", "--watch"], { timeoutMs: 4_000 });
    assert.match(watch.stdout, /busybox-web-/, "the watch listed the pods before it was stopped");
    await execFileAsync("dig", ["+short", "+tries=1", "+time=2", "-p", String(dnsPort), "@127.0.0.1", "busybox-web.default.svc.cluster.local"]);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${ingressPort}/`, { headers: { host: "web.local" } }).catch(() => undefined))?.status !== undefined, {
      timeoutMs: 20_000,
      message: "an answer from the ingress proxy",
    });

    const panels = dashboards.flatMap((d) => d.panels.filter((p) => p.needs !== "real-node").map((p) => ({ ...p, where: `${d.title} / ${p.title}` })));
    const empty = await waitFor(
      async () => {
        const missing = await panelsWithoutSeries(prom, panels);
        return missing.length === 0 ? missing : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 2_000, message: `every panel query returns a series (${panels.length} panels; real-node ones in real-node.test.ts)` },
    ).catch(async (err: unknown) => assert.fail(`${(err as Error).message}; no series for:\n  ${(await panelsWithoutSeries(prom, panels)).join("\n  ")}`));
    assert.deepEqual(empty, []);
  });

  test("stopping the scheduler makes KubeSchedulerDown pending, then firing", async () => {
    const quiet = await prom.alerts();
    assert.equal(quiet.filter((a) => a.labels.alertname === "KubeSchedulerDown").length, 0, "not active while the scheduler runs");
    await procs.get(jobs.scheduler)!.kill();
    const states: string[] = [];
    await waitFor(
      async () => {
        const alert = (await prom.alerts()).find((a) => a.labels.alertname === "KubeSchedulerDown");
        if (alert && states.at(-1) !== alert.state) states.push(alert.state);
        return alert?.state === "firing";
      },
      { timeoutMs: 60_000, intervalMs: 250, message: `KubeSchedulerDown firing (for: ${testFor})` },
    );
    assert.deepEqual(states, ["pending", "firing"]);
  });
});
