// `make bench` for the controller-manager: its idle CPU with 10,000 reconciled Deployments, and how fast one 5,000-replica Deployment gets its pods.
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { appsV1Deployment, coreV1Pod, kindFor, type coreV1Config, type KindInfo } from "@kubeplane/api";
import { Informer } from "@kubeplane/client";
import { benchProgress, clockTicks, metricSums, parseBenchScale, processCpuSeconds, processRssMiB, runConcurrently, startServiceProcess, sumOf, waitFor, type ServiceProcess } from "@kubeplane/testing";
import { pods, startCmCluster, type CmCluster } from "../test/harness.js";

type Deployment = appsV1Deployment.Deployment;

const deployments = kindFor("apps/v1", "Deployment") as KindInfo<Deployment>;
const namespaces = kindFor("v1", "Namespace") as KindInfo<coreV1Config.Namespace>;
const controllerManagerMain = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/**
 * Multiplies every count and the idle window (never below 10 s). At 1 the run takes about two
 * minutes on two cores; KP_BENCH_SCALE=0.1 is a quick smoke run.
 */
const SCALE = parseBenchScale(process.env.KP_BENCH_SCALE);
/**
 * The figure is 10,000 idle Deployments, but on two cores the controller-manager needs about
 * six minutes to settle them (two Deployment reconciles each, ~60/s with 5 workers, each scanning
 * every ReplicaSet of the namespace), too long for `make bench`; KP_BENCH_IDLE_DEPLOYMENTS=10000 runs it.
 */
const IDLE_DEPLOYMENTS = parseCount(process.env.KP_BENCH_IDLE_DEPLOYMENTS, 3000);
const CREATE_CONCURRENCY = 50;
const IDLE_WINDOW_SECONDS = 60;
const MIN_IDLE_WINDOW_SECONDS = 10;
/** The reconcile counters must stand still this long before the idle window opens. */
const QUIET_MS = 3000;
const SCALE_REPLICAS = 5000;
const IDLE_NAMESPACE = "bench-idle";
const SCALE_NAMESPACE = "bench-scale";
const OUTPUT = resolve(".local/bench/controller-manager.json");

interface IdleResult {
  deployments: number;
  createSeconds: number;
  createsPerSec: number;
  /** From the first create until every Deployment reported observedGeneration 1. */
  observedSeconds: number;
  /** From the first create until the controller-manager's reconcile counters stood still. */
  settledSeconds: number;
  /** controller-manager CPU from its start until settled, in seconds of one core. */
  settleCpuSeconds: number;
  reconcilesBeforeIdle: Record<string, number>;
  windowSeconds: number;
  cpuPercent: number;
  apiserverCpuPercent: number;
  /** Reconciles the controller-manager ran during the idle window (resyncs, requeues). */
  reconcilesInWindow: number;
  rssMiB: number;
}

interface ScaleResult {
  replicas: number;
  podsSeen: number;
  seconds: number;
  podsPerSec: number;
  firstPodSeconds: number;
  halfSeconds: number;
  /** Longest stretch without a new pod arriving: the pauses between the ReplicaSet's syncs. */
  longestGapSeconds: number;
  replicaSetSyncs: number;
  podCreates: number;
  /** Mean apiserver latency of one pod create, and how many were in flight on average. */
  podCreateMeanMs: number;
  podCreatesInFlight: number;
  cpuPercent: number;
  apiserverCpuPercent: number;
  benchCpuPercent: number;
}

function parseCount(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  const count = Number(raw);
  if (!Number.isInteger(count) || count <= 0) throw new RangeError(`expected a positive integer, got ${JSON.stringify(raw)}`);
  return count;
}

const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE));

/** CPU of several processes between `start()` and `stop()`, as % of one core. */
class CpuMeter {
  private started = 0;
  private readonly before = new Map<string, number>();

  constructor(private readonly pids: Record<string, number | "self">) {}

  private async read(pid: number | "self"): Promise<number> {
    if (pid === "self") {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    }
    return processCpuSeconds(pid);
  }

  async start(): Promise<void> {
    this.started = performance.now();
    for (const [name, pid] of Object.entries(this.pids)) this.before.set(name, await this.read(pid));
  }

  async stop(): Promise<{ seconds: number; cpuSeconds: Record<string, number>; percent: Record<string, number> }> {
    const seconds = (performance.now() - this.started) / 1000;
    const used: Record<string, number> = {};
    const percent: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      used[name] = (await this.read(pid)) - this.before.get(name)!;
      percent[name] = (100 * used[name]) / seconds;
    }
    return { seconds, cpuSeconds: used, percent };
  }
}

function deployment(namespace: string, name: string, replicas: number): Deployment {
  return appsV1Deployment.Deployment.fromPartial({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: coreV1Pod.PodTemplateSpec.fromPartial({ metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image: "nginx:1.27" }] } }),
    },
  });
}

async function createNamespace(cluster: CmCluster, name: string): Promise<void> {
  await cluster.client.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
}

async function benchIdle(cluster: CmCluster, cm: ServiceProcess): Promise<IdleResult> {
  const count = scaled(IDLE_DEPLOYMENTS);
  await createNamespace(cluster, IDLE_NAMESPACE);
  const stop = new AbortController();
  const informer = new Informer({ client: cluster.client, watch: cluster.watch, kind: deployments, namespace: IDLE_NAMESPACE });
  const running = informer.run(stop.signal);
  try {
    await informer.waitForSync(AbortSignal.timeout(60_000));
    const observed = (): number => informer.lister.list().filter((d) => (d.status?.observedGeneration ?? 0) >= 1).length;
    const reconciles = async (): Promise<Record<string, number>> => metricSums(await cm.metrics(), "controller_runtime_reconcile_total", {}, "controller");

    benchProgress(`creating ${count} Deployments (replicas 0) in ${IDLE_NAMESPACE}, ${CREATE_CONCURRENCY} at a time`);
    const started = performance.now();
    const since = (): number => (performance.now() - started) / 1000;
    const createSeconds = await runConcurrently("create Deployments", count, CREATE_CONCURRENCY, (i) => cluster.client.create(deployments, deployment(IDLE_NAMESPACE, `idle-${i}`, 0)));
    benchProgress(`created ${count} Deployments in ${createSeconds.toFixed(1)} s (${(count / createSeconds).toFixed(0)}/s); waiting for observedGeneration 1`);

    const ticker = setInterval(() => {
      void reconciles().then((r) => benchProgress(`reconciled: ${observed()}/${count} observed, reconcile_total ${JSON.stringify(r)}`));
    }, 2000);
    let observedSeconds: number;
    try {
      await waitFor(() => observed() >= count, { timeoutMs: 600_000, intervalMs: 200, message: `${count} Deployments with observedGeneration 1` });
      observedSeconds = since();
      benchProgress(`every Deployment observed after ${observedSeconds.toFixed(1)} s; waiting for the reconcile counters to stand still`);
      let last = -1;
      let lastChange = performance.now();
      await waitFor(
        async () => {
          const text = await cm.metrics();
          const now = sumOf(metricSums(text, "controller_runtime_reconcile_total"));
          const depth = sumOf(metricSums(text, "workqueue_depth"));
          if (now !== last || depth > 0) [last, lastChange] = [now, performance.now()];
          return performance.now() - lastChange >= QUIET_MS;
        },
        { timeoutMs: 300_000, intervalMs: 250, message: "the controller-manager's reconcile counters to stand still" },
      );
    } finally {
      clearInterval(ticker);
    }
    const settledSeconds = since() - QUIET_MS / 1000;
    const settleCpuSeconds = await processCpuSeconds(cm.pid);
    const reconcilesBeforeIdle = await reconciles();
    // The bench's own informer would only add noise on two cores from here on.
    stop.abort();
    await running;

    const windowSeconds = Math.max(MIN_IDLE_WINDOW_SECONDS, IDLE_WINDOW_SECONDS * SCALE);
    benchProgress(`settled after ${settledSeconds.toFixed(1)} s (${JSON.stringify(reconcilesBeforeIdle)}); measuring ${windowSeconds} s of idle CPU`);
    const meter = new CpuMeter({ cm: cm.pid, apiserver: cluster.apiserver.pid });
    await meter.start();
    await sleep(windowSeconds * 1000);
    const cpu = await meter.stop();
    const reconcilesInWindow = sumOf(await reconciles()) - sumOf(reconcilesBeforeIdle);
    const rss = await processRssMiB(cm.pid);
    benchProgress(`idle: controller-manager ${cpu.percent.cm!.toFixed(2)}% of a core, apiserver ${cpu.percent.apiserver!.toFixed(2)}%, ${reconcilesInWindow} reconciles, RSS ${rss.toFixed(0)} MiB`);
    return {
      deployments: count,
      createSeconds,
      createsPerSec: count / createSeconds,
      observedSeconds,
      settledSeconds,
      settleCpuSeconds,
      reconcilesBeforeIdle,
      windowSeconds: cpu.seconds,
      cpuPercent: cpu.percent.cm!,
      apiserverCpuPercent: cpu.percent.apiserver!,
      reconcilesInWindow,
      rssMiB: rss,
    };
  } finally {
    stop.abort();
    await running.catch(() => undefined);
  }
}

async function benchScaleUp(cluster: CmCluster, cm: ServiceProcess): Promise<ScaleResult> {
  const replicas = scaled(SCALE_REPLICAS);
  await createNamespace(cluster, SCALE_NAMESPACE);
  const stop = new AbortController();
  const informer = new Informer({ client: cluster.client, watch: cluster.watch, kind: pods, namespace: SCALE_NAMESPACE });
  const arrivals: number[] = [];
  let started = 0;
  informer.addEventHandler({ onAdd: () => arrivals.push(performance.now() - started) });
  const running = informer.run(stop.signal);
  try {
    await informer.waitForSync(AbortSignal.timeout(60_000));
    const podCreateLabels = { verb: "create", resource: "pods" };
    const apiBefore = await cluster.apiserver.metrics();
    const syncsBefore = sumOf(metricSums(await cm.metrics(), "controller_runtime_reconcile_total", { controller: "replicaset" }));
    const meter = new CpuMeter({ cm: cm.pid, apiserver: cluster.apiserver.pid, bench: "self" });

    benchProgress(`creating one Deployment of ${replicas} replicas in ${SCALE_NAMESPACE}`);
    await meter.start();
    started = performance.now();
    let lastCount = 0;
    const ticker = setInterval(() => {
      benchProgress(`scale-up: ${arrivals.length}/${replicas} pods after ${((performance.now() - started) / 1000).toFixed(1)} s (+${arrivals.length - lastCount}/s)`);
      lastCount = arrivals.length;
    }, 1000);
    try {
      await cluster.client.create(deployments, deployment(SCALE_NAMESPACE, "big", replicas));
      await waitFor(() => arrivals.length >= replicas, { timeoutMs: 300_000, intervalMs: 10, message: `${replicas} pods in ${SCALE_NAMESPACE}` });
    } finally {
      clearInterval(ticker);
    }
    const seconds = arrivals[replicas - 1]! / 1000;
    const cpu = await meter.stop();
    const apiAfter = await cluster.apiserver.metrics();
    const syncsAfter = sumOf(metricSums(await cm.metrics(), "controller_runtime_reconcile_total", { controller: "replicaset" }));
    const delta = (name: string): number => sumOf(metricSums(apiAfter, name, podCreateLabels)) - sumOf(metricSums(apiBefore, name, podCreateLabels));
    const podCreates = delta("apiserver_request_duration_seconds_count");
    const createSeconds = delta("apiserver_request_duration_seconds_sum");
    const longestGap = arrivals.reduce((gap, t, i) => Math.max(gap, t - (i === 0 ? 0 : arrivals[i - 1]!)), 0);
    benchProgress(`scale-up: ${replicas} pods in ${seconds.toFixed(2)} s`);
    return {
      replicas,
      podsSeen: arrivals.length,
      seconds,
      podsPerSec: replicas / seconds,
      firstPodSeconds: arrivals[0]! / 1000,
      halfSeconds: arrivals[Math.ceil(replicas / 2) - 1]! / 1000,
      longestGapSeconds: longestGap / 1000,
      replicaSetSyncs: syncsAfter - syncsBefore,
      podCreates,
      podCreateMeanMs: podCreates > 0 ? (1000 * createSeconds) / podCreates : NaN,
      podCreatesInFlight: createSeconds / seconds,
      cpuPercent: cpu.percent.cm!,
      apiserverCpuPercent: cpu.percent.apiserver!,
      benchCpuPercent: cpu.percent.bench!,
    };
  } finally {
    stop.abort();
    await running.catch(() => undefined);
  }
}

function formatTable(idle: IdleResult, up: ScaleResult): string {
  const num = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : "-");
  const verdict = (ok: boolean): string => (ok ? "met" : "MISSED");
  const idleTarget = 5;
  const upTarget = 10;
  return [
    `controller-manager bench — scale ${SCALE}, 1-member etcd, NATS JetStream, apiserver and controller-manager (deployment,replicaset) as processes; node ${process.version}, ${availableParallelism()} cores`,
    "",
    `idle: ${idle.deployments} Deployments with replicas 0 (one ReplicaSet each), created at ${num(idle.createsPerSec)}/s (${num(idle.createSeconds, 1)} s, ${CREATE_CONCURRENCY} at a time)`,
    `  all observed after ${num(idle.observedSeconds, 1)} s, settled after ${num(idle.settledSeconds, 1)} s; controller-manager CPU until settled ${num(idle.settleCpuSeconds, 1)} s; reconciles ${JSON.stringify(idle.reconcilesBeforeIdle)}`,
    `  controller-manager CPU over ${num(idle.windowSeconds, 0)} s idle: ${num(idle.cpuPercent, 2)}% of a core (target ≤ ${idleTarget}%: ${verdict(idle.cpuPercent <= idleTarget)})   RSS ${num(idle.rssMiB)} MiB   reconciles in window ${idle.reconcilesInWindow}   apiserver ${num(idle.apiserverCpuPercent, 2)}%`,
    "",
    `scale-up: one Deployment of ${up.replicas} replicas → all pods seen by an informer after ${num(up.seconds, 2)} s (target ≤ ${upTarget} s: ${verdict(up.seconds <= upTarget)}), ${num(up.podsPerSec)} pods/s`,
    `  first pod ${num(up.firstPodSeconds, 2)} s, half ${num(up.halfSeconds, 2)} s, longest pause between pods ${num(up.longestGapSeconds, 2)} s; ${up.replicaSetSyncs} ReplicaSet syncs`,
    `  apiserver: ${up.podCreates} pod creates, mean ${num(up.podCreateMeanMs, 1)} ms, ${num(up.podCreatesInFlight, 1)} in flight on average`,
    `  CPU while scaling (% of one core): controller-manager ${num(up.cpuPercent)}%, apiserver ${num(up.apiserverCpuPercent)}%, bench process ${num(up.benchCpuPercent)}%`,
  ].join("\n");
}

async function main(): Promise<void> {
  benchProgress(`starting etcd, NATS JetStream, the apiserver and a controller-manager process (KP_BENCH_SCALE=${SCALE})`);
  const cluster = await startCmCluster();
  let cm: ServiceProcess | undefined;
  try {
    cm = await startServiceProcess({
      entry: controllerManagerMain,
      flags: { apiserver: cluster.apiserver.grpcAddress, "nats-url": cluster.nats.url, "leader-elect": "false", controllers: "deployment,replicaset" },
    });
    const idle = await benchIdle(cluster, cm);
    const up = await benchScaleUp(cluster, cm);
    process.stdout.write(`${formatTable(idle, up)}\n`);
    const report = { scale: SCALE, node: process.version, cores: availableParallelism(), clockTicks: clockTicks(), finishedAt: new Date().toISOString(), idle, scaleUp: up };
    await mkdir(dirname(OUTPUT), { recursive: true });
    await writeFile(OUTPUT, `${JSON.stringify(report, null, 2)}\n`);
    benchProgress(`figures written to ${OUTPUT}`);
  } finally {
    benchProgress("stopping the controller-manager and the cluster");
    await cm?.kill();
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  if (err instanceof Error && err.cause) process.stderr.write(`[bench] cause: ${String((err.cause as Error).stack ?? err.cause)}\n`);
  process.exitCode = 1;
});
