// `make bench-scheduler`: how fast the scheduler (as a process) binds pending pods onto simulated nodes, after kube-scheduler's scheduler_perf SchedulingBasic.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { connect, type NatsConnection } from "nats";
import { coreV1Node, coreV1Pod, kindFor, type coreV1Config, type KindInfo } from "@kubeplane/api";
import { ApiClient, type WatchConnection } from "@kubeplane/client";
import { PODS_BY_NODE, SUBJECT_ROOT, escapeToken, parseSubject } from "@kubeplane/watch";
import { benchProgress, childPids, clientTls, clockTicks, metricSamples, metricSums, natsOptions, parseBenchScale, percentile, processCpuSeconds, runConcurrently, startEtcd, startNats, startServiceProcess, sumOf, waitFor, type EtcdCluster, type MetricSample, type NatsServer, type ServiceProcess } from "@kubeplane/testing";

type Pod = coreV1Pod.Pod;
type Node = coreV1Node.Node;

const pods = kindFor("v1", "Pod") as KindInfo<Pod>;
const nodes = kindFor("v1", "Node") as KindInfo<Node>;
const namespaces = kindFor("v1", "Namespace") as KindInfo<coreV1Config.Namespace>;
const apiserverMain = fileURLToPath(new URL("../../apiserver/src/main.ts", import.meta.url));
const schedulerMain = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** Multiplies every node and pod count. KP_BENCH_SCALE=0.1 is a quick smoke run. */
const SCALE = parseBenchScale(process.env.KP_BENCH_SCALE);
/**
 * `KP_BENCH_SCHEDULER_SCENARIOS=500x2000,5000x10000,5000x50000` picks the scenarios (nodes x pods, run in order);
 * the default is the first two. 5000x50000 is scheduler_perf's larger SchedulingBasic case.
 */
const SCENARIOS = (process.env.KP_BENCH_SCHEDULER_SCENARIOS || "500x2000,5000x10000").split(",").map((s) => {
  const m = /^(\d+)x(\d+)$/.exec(s.trim());
  if (!m) throw new Error(`KP_BENCH_SCHEDULER_SCENARIOS: "${s}" is not NODESxPODS`);
  return { nodes: Number(m[1]), pods: Number(m[2]) };
});
const NODE_CONCURRENCY = 50;
/**
 * Pods are created "as fast as the apiserver takes them": this many in flight, spread round-robin over
 * POD_CONNECTIONS clients (distinct user agents, else grpc-js pools them onto one HTTP/2 connection).
 */
const POD_CONCURRENCY = 100;
const POD_CONNECTIONS = 4;
/** Before the pods are created, the scheduler's CPU must stay under QUIET_CPU_PERCENT this long (its node cache caught up). */
const QUIET_MS = 1500;
const QUIET_CPU_PERCENT = 10;
const BIND_TIMEOUT_MS = 600_000;
const OUTPUT = resolve(".local/bench/scheduler.json");

/** kube-scheduler's scheduler_perf SchedulingBasic 5000Nodes_10000Pods, and ours. */
const ANCHOR = { ciFloorPodsPerSec: 270, workstationPodsPerSec: 1000, targetPodsPerSec: 1500 };

interface ScenarioResult {
  nodes: number;
  pods: number;
  namespace: string;
  nodeCreateSeconds: number;
  nodeCreatesPerSec: number;
  /** From the first pod create until the last pod create was acknowledged. */
  podCreateSeconds: number;
  podCreatesPerSec: number;
  /** From the first pod create until every pod's bind was seen on the watch stream. */
  seconds: number;
  podsPerSec: number;
  /** Bound pods/s from the last create's acknowledgement to the last bind (the scheduler alone, creates done). */
  tailPodsPerSec: number;
  /** Per pod: bind observed − start of its create call. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  nodesUsed: number;
  maxPodsOnANode: number;
  attempts: Record<string, number>;
  /** Mean of one scheduling cycle (binding excluded), from the scheduler's histogram. */
  attemptMeanMs: number;
  /** Mean time per pod in each extension point (Filter is the whole node loop). */
  extensionPointMeanMs: Record<string, number>;
  /** pods/binding calls (Bind and BindPods, one a call) as the apiserver sees them (absent when the metric has no such series). */
  binds?: { count: number; meanMs: number; p50Ms: number; p99Ms: number };
  podCreateMeanMs: number;
  /** Pods placed from an opportunistic batch, and pods with a signature that ran a full cycle. */
  batchHits: number;
  batchMisses: number;
  /** CPU from the first pod create until the last bind, % of one core; `machine` is every core's busy time, `others` what none of ours used. */
  cpuPercent: Record<string, number>;
  /** The 1-minute load average when the pods started and when the last was bound. */
  loadAverage: [number, number];
}

const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE));


/** The whole machine's busy CPU so far (all cores), in seconds, from /proc/stat. */
async function machineBusySeconds(): Promise<number> {
  const line = (await readFile("/proc/stat", "utf8")).split("\n")[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / clockTicks();
}

/** CPU of several processes between `start()` and `stop()`, as % of one core. */
class CpuMeter {
  private started = 0;
  private readonly before = new Map<string, number>();

  constructor(private readonly pids: Record<string, number | "self" | "machine">) {}

  private async read(pid: number | "self" | "machine"): Promise<number> {
    if (pid === "machine") return machineBusySeconds();
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

  async stop(): Promise<Record<string, number>> {
    const seconds = (performance.now() - this.started) / 1000;
    const percent: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) percent[name] = (100 * ((await this.read(pid)) - this.before.get(name)!)) / seconds;
    return percent;
  }
}

/** Between two scrapes: the cumulative buckets of a histogram (upper bound → count), summed over the matching series. */
function bucketDelta(before: string, after: string, name: string, labels: Record<string, string>): Map<number, number> {
  const read = (text: string): Map<number, number> => {
    const m = new Map<number, number>();
    for (const s of metricSamples(text, `${name}_bucket`, labels)) {
      const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
      m.set(le, (m.get(le) ?? 0) + s.value);
    }
    return m;
  };
  const [a, b] = [read(before), read(after)];
  return new Map([...b].sort((x, y) => x[0] - y[0]).map(([le, v]) => [le, v - (a.get(le) ?? 0)]));
}

/** Prometheus-style quantile from cumulative buckets (linear within the bucket). */
function histogramQuantile(buckets: Map<number, number>, q: number): number {
  const entries = [...buckets];
  const count = entries.at(-1)?.[1] ?? 0;
  if (count === 0) return NaN;
  const rank = q * count;
  let [prevLe, prevCount] = [0, 0];
  for (const [le, c] of entries) {
    if (c >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + (le - prevLe) * ((rank - prevCount) / Math.max(1, c - prevCount));
    }
    [prevLe, prevCount] = [le, c];
  }
  return prevLe;
}

function node(name: string): Node {
  const resources = { cpu: "32", memory: "64Gi", pods: "110" };
  return coreV1Node.Node.fromPartial({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" } },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "simulated node (no kubelet)" }],
    },
  });
}

function pod(namespace: string, name: string): Pod {
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace, name },
    spec: { containers: [{ name: "app", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "100m", memory: "128Mi" } } }] },
  });
}

/** Waits until the scheduler's CPU stayed under QUIET_CPU_PERCENT for QUIET_MS (its caches caught up), at most 60 s. */
async function schedulerQuiet(pid: number): Promise<void> {
  let last = await processCpuSeconds(pid);
  let quietSince = performance.now();
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    await sleep(250);
    const now = await processCpuSeconds(pid);
    if ((100 * (now - last)) / 0.25 > QUIET_CPU_PERCENT) quietSince = performance.now();
    last = now;
    if (performance.now() - quietSince >= QUIET_MS) return;
  }
  benchProgress("the scheduler did not go quiet within 60 s; creating pods anyway");
}

interface Cluster {
  etcd: EtcdCluster;
  nats: NatsServer;
  apiserver: ServiceProcess;
  scheduler: ServiceProcess;
  client: ApiClient;
  podClients: ApiClient[];
  /** etcd and nats-server, when found among this process's children. */
  infraPids: Record<string, number>;
  watch: WatchConnection & { nc: NatsConnection };
}

async function runScenario(cluster: Cluster, index: number, spec: { nodes: number; pods: number }, previousNodes: string[]): Promise<{ result: ScenarioResult; nodeNames: string[] }> {
  const { client, scheduler, apiserver } = cluster;
  const nodeCount = scaled(spec.nodes);
  const podCount = scaled(spec.pods);
  const label = `${nodeCount} nodes × ${podCount} pods`;
  const namespace = `bench-sched-${index}`;

  if (previousNodes.length > 0) {
    benchProgress(`${label}: deleting the previous scenario's ${previousNodes.length} nodes`);
    await runConcurrently("delete nodes", previousNodes.length, NODE_CONCURRENCY, (i) => client.delete(nodes, "", previousNodes[i]!));
  }
  await client.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });

  const nodeNames = Array.from({ length: nodeCount }, (_, i) => `s${index}-node-${i}`);
  benchProgress(`${label}: creating ${nodeCount} nodes, ${NODE_CONCURRENCY} at a time`);
  const nodeCreateSeconds = await runConcurrently("create nodes", nodeCount, NODE_CONCURRENCY, (i) => client.create(nodes, node(nodeNames[i]!)));
  benchProgress(`${label}: ${nodeCount} nodes in ${nodeCreateSeconds.toFixed(1)} s (${(nodeCount / nodeCreateSeconds).toFixed(0)}/s); waiting for the scheduler to go quiet`);
  await schedulerQuiet(scheduler.pid);

  const created = new Map<string, number>();
  const bound = new Map<string, number>();
  const placement = new Map<string, number>();
  // Binds are seen on the watch stream's pods-by-node subjects (`…pods-by-node.<node>.<ns>.<pod>`):
  // the subject names the node, so no event is decoded and the bench takes little of the CPU it measures.
  const sub = cluster.watch.nc.subscribe(`${SUBJECT_ROOT}.${PODS_BY_NODE}.*.${escapeToken(namespace)}.*`);
  const observing = (async () => {
    for await (const m of sub) {
      const parsed = parseSubject(m.subject);
      if (!parsed?.node || bound.has(parsed.name)) continue;
      bound.set(parsed.name, performance.now());
      placement.set(parsed.node, (placement.get(parsed.node) ?? 0) + 1);
    }
  })();
  try {
    await cluster.watch.nc.flush();
    const [schedBefore, apiBefore] = await Promise.all([scheduler.metrics(), apiserver.metrics()]);
    const meter = new CpuMeter({ scheduler: scheduler.pid, apiserver: apiserver.pid, ...cluster.infraPids, bench: "self", machine: "machine" });
    const loadBefore = loadavg()[0]!;
    await meter.start();

    benchProgress(`${label}: creating ${podCount} pods in ${namespace}, ${POD_CONCURRENCY} in flight over ${POD_CONNECTIONS} connections`);
    const started = performance.now();
    let lastBound = 0;
    const ticker = setInterval(() => {
      const s = (performance.now() - started) / 1000;
      benchProgress(`${label}: ${created.size} created, ${bound.size}/${podCount} bound after ${s.toFixed(1)} s (+${bound.size - lastBound}/s)`);
      lastBound = bound.size;
    }, 1000);
    let createsDone = 0;
    try {
      const podCreateSeconds = await runConcurrently("create pods", podCount, POD_CONCURRENCY, (i) => {
        const name = `pod-${i}`;
        created.set(name, performance.now());
        return cluster.podClients[i % cluster.podClients.length]!.create(pods, pod(namespace, name));
      });
      createsDone = performance.now();
      benchProgress(`${label}: ${podCount} pods created in ${podCreateSeconds.toFixed(1)} s (${(podCount / podCreateSeconds).toFixed(0)}/s); ${bound.size} bound so far`);
      await waitFor(() => bound.size >= podCount, { timeoutMs: BIND_TIMEOUT_MS, intervalMs: 10, message: `${podCount} pods bound in ${namespace}` });
      clearInterval(ticker);
      const lastBind = Math.max(...bound.values());
      const seconds = (lastBind - started) / 1000;
      const cpuPercent = await meter.stop();
      // Whatever else ran on the machine meanwhile (other test runs share these cores and skew every figure).
      cpuPercent.others = cpuPercent.machine! - Object.entries(cpuPercent).reduce((sum, [k, v]) => (k === "machine" ? sum : sum + v), 0);
      const loadAfter = loadavg()[0]!;
      const [schedAfter, apiAfter] = await Promise.all([scheduler.metrics(), apiserver.metrics()]);

      const latencies = new Float64Array([...bound].map(([name, t]) => t - created.get(name)!));
      latencies.sort();
      const deltaSums = (before: string, after: string, name: string, labels: Record<string, string>, by?: string): Record<string, number> => {
        const a = metricSums(before, name, labels, by);
        return Object.fromEntries(Object.entries(metricSums(after, name, labels, by)).map(([k, v]) => [k, v - (a[k] ?? 0)]));
      };
      const attempts = deltaSums(schedBefore, schedAfter, "scheduler_schedule_attempts_total", {}, "result");
      const batch = deltaSums(schedBefore, schedAfter, "scheduler_opportunistic_batch_attempts_total", {}, "result");
      const attemptCount = sumOf(deltaSums(schedBefore, schedAfter, "scheduler_scheduling_attempt_duration_seconds_count", {}));
      const attemptSum = sumOf(deltaSums(schedBefore, schedAfter, "scheduler_scheduling_attempt_duration_seconds_sum", {}));
      const pointSums = deltaSums(schedBefore, schedAfter, "scheduler_framework_extension_point_duration_seconds_sum", {}, "extension_point");
      const extensionPointMeanMs = Object.fromEntries(
        Object.entries(pointSums)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => [k, (1000 * v) / podCount]),
      );
      const bindLabels = { verb: "create", resource: "pods", subresource: "binding" };
      const bindCount = sumOf(deltaSums(apiBefore, apiAfter, "apiserver_request_duration_seconds_count", bindLabels));
      const bindSum = sumOf(deltaSums(apiBefore, apiAfter, "apiserver_request_duration_seconds_sum", bindLabels));
      const bindBuckets = bucketDelta(apiBefore, apiAfter, "apiserver_request_duration_seconds", bindLabels);
      const createLabels = { verb: "create", resource: "pods", subresource: "" };
      const createCount = sumOf(deltaSums(apiBefore, apiAfter, "apiserver_request_duration_seconds_count", createLabels));
      const createSum = sumOf(deltaSums(apiBefore, apiAfter, "apiserver_request_duration_seconds_sum", createLabels));

      const result: ScenarioResult = {
        nodes: nodeCount,
        pods: podCount,
        namespace,
        nodeCreateSeconds,
        nodeCreatesPerSec: nodeCount / nodeCreateSeconds,
        podCreateSeconds,
        podCreatesPerSec: podCount / podCreateSeconds,
        seconds,
        podsPerSec: podCount / seconds,
        tailPodsPerSec: lastBind > createsDone ? [...bound.values()].filter((t) => t > createsDone).length / ((lastBind - createsDone) / 1000) : NaN,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        maxMs: latencies[latencies.length - 1] ?? NaN,
        nodesUsed: placement.size,
        maxPodsOnANode: Math.max(0, ...placement.values()),
        attempts,
        attemptMeanMs: attemptCount > 0 ? (1000 * attemptSum) / attemptCount : NaN,
        extensionPointMeanMs,
        ...(bindCount > 0
          ? { binds: { count: bindCount, meanMs: (1000 * bindSum) / bindCount, p50Ms: 1000 * histogramQuantile(bindBuckets, 0.5), p99Ms: 1000 * histogramQuantile(bindBuckets, 0.99) } }
          : {}),
        podCreateMeanMs: createCount > 0 ? (1000 * createSum) / createCount : NaN,
        batchHits: batch.hit ?? 0,
        batchMisses: batch.miss ?? 0,
        cpuPercent,
        loadAverage: [loadBefore, loadAfter],
      };
      benchProgress(`${label}: all bound after ${seconds.toFixed(2)} s, ${result.podsPerSec.toFixed(0)} pods/s, p50 ${result.p50Ms.toFixed(0)} ms, p99 ${result.p99Ms.toFixed(0)} ms`);
      return { result, nodeNames };
    } finally {
      clearInterval(ticker);
    }
  } finally {
    sub.unsubscribe();
    await observing;
  }
}

function formatTable(results: ScenarioResult[], startupSeconds: number, totalSeconds: number): string {
  const num = (n: number | undefined, digits = 0): string => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : "-");
  const pad = (s: string, n: number): string => s.padStart(n);
  const header = ["scenario", "pods/s", "seconds", "p50 ms", "p99 ms", "max ms", "creates/s", "tail/s", "bind call p50/p99 ms (apiserver)", "attempts"];
  const widths = [24, 7, 8, 7, 7, 7, 9, 7, 28, 30];
  const row = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : pad(c, widths[i]!))).join("  ");
  const lines = [
    `scheduler bench — scale ${SCALE}, 1-member etcd, NATS JetStream, apiserver and scheduler (default profile, leader-elect=false) as processes; node ${process.version}, ${availableParallelism()} cores`,
    `nodes: cpu 32, memory 64Gi, pods 110, Ready, no kubelet; pods: 1 container requesting cpu 100m, memory 128Mi; ${POD_CONCURRENCY} creates in flight over ${POD_CONNECTIONS} connections`,
    `pods/s: first pod create → last pod bound (seen on the watch stream); latency: bind seen − start of that pod's create; tail/s: binds after the last create was acknowledged`,
    "",
    row(header),
    ...results.map((r) =>
      row([
        `${r.nodes} nodes × ${r.pods} pods`,
        num(r.podsPerSec),
        num(r.seconds, 2),
        num(r.p50Ms),
        num(r.p99Ms),
        num(r.maxMs),
        num(r.podCreatesPerSec),
        num(r.tailPodsPerSec),
        r.binds ? `${num(r.binds.p50Ms, 1)}/${num(r.binds.p99Ms, 1)} (mean ${num(r.binds.meanMs, 1)})` : "n/a",
        Object.entries(r.attempts)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k} ${v}`)
          .join(", "),
      ]),
    ),
    "",
  ];
  for (const r of results) {
    const points = Object.entries(r.extensionPointMeanMs)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(", ");
    lines.push(
      `${r.nodes}×${r.pods}: nodes created at ${num(r.nodeCreatesPerSec)}/s; ${r.nodesUsed} nodes used (max ${r.maxPodsOnANode} pods on one); pod create mean ${num(r.podCreateMeanMs, 1)} ms at the apiserver`,
      `  scheduling cycle mean ${num(r.attemptMeanMs, 2)} ms; per pod (ms): ${points || "-"}`,
      `  opportunistic batching: ${r.batchHits} pods placed from a batch, ${r.batchMisses} full cycles; binding calls: ${r.binds ? `${r.binds.count}, ${num(r.pods / r.binds.count, 1)} pods a call` : "n/a"}`,
      `  CPU while scheduling (% of one core): ${Object.entries(r.cpuPercent)
        .map(([k, v]) => `${k} ${num(v)}%`)
        .join(", ")}; load average ${num(r.loadAverage[0], 1)} → ${num(r.loadAverage[1], 1)}`,
    );
    if (r.cpuPercent.others! > 25) {
      lines.push(`  WARNING: processes outside the bench used ${num(r.cpuPercent.others)}% of a core meanwhile: these figures are skewed`);
    }
  }
  // The target is for 5,000 nodes × 10,000 pods (scaled); the last scenario when that one did not run.
  const big = results.find((r) => r.nodes === scaled(5000) && r.pods === scaled(10_000)) ?? results.at(-1)!;
  const verdict = big.podsPerSec >= ANCHOR.targetPodsPerSec ? "met" : "MISSED";
  lines.push(
    "",
    `anchor: kube-scheduler scheduler_perf SchedulingBasic 5000Nodes_10000Pods — CI floor ${ANCHOR.ciFloorPodsPerSec} pods/s, ~${ANCHOR.workstationPodsPerSec} pods/s on a workstation; ` +
      `ours at ${big.nodes}×${big.pods}: ${num(big.podsPerSec)} pods/s (target ≥ ${ANCHOR.targetPodsPerSec}: ${verdict}${SCALE === 1 ? "" : `, at scale ${SCALE}`})`,
    `whole run ${num(totalSeconds, 0)} s (start-up ${num(startupSeconds, 1)} s)`,
  );
  return lines.join("\n");
}

async function main(): Promise<void> {
  const began = performance.now();
  benchProgress(`starting etcd, NATS JetStream, the apiserver and the scheduler as processes (KP_BENCH_SCALE=${SCALE})`);
  if (loadavg()[0]! > availableParallelism() / 2) benchProgress(`load average is already ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores: the figures will be skewed`);
  let etcd: EtcdCluster | undefined;
  let nats: NatsServer | undefined;
  let apiserver: ServiceProcess | undefined;
  let scheduler: ServiceProcess | undefined;
  let nc: NatsConnection | undefined;
  const clients: ApiClient[] = [];
  try {
    [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
    apiserver = await startServiceProcess({ entry: apiserverMain, flags: { "etcd-endpoints": etcd.endpoints.join(","), "nats-url": nats.url } });
    scheduler = await startServiceProcess({ entry: schedulerMain, flags: { apiserver: apiserver.grpcAddress, "nats-url": nats.url, "leader-elect": "false" } });
    const client = ApiClient.connect({ ...clientTls(), server: apiserver.grpcAddress, userAgent: "scheduler-bench" });
    clients.push(client);
    const podClients = Array.from({ length: POD_CONNECTIONS }, (_, i) => ApiClient.connect({ ...clientTls(), server: apiserver!.grpcAddress, userAgent: `scheduler-bench-pods-${i}` }));
    clients.push(...podClients);
    nc = await connect({ ...natsOptions(nats.url), servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    const infraPids: Record<string, number> = {};
    for (const comm of ["etcd", "nats-server"]) {
      const [pid] = await childPids(comm);
      if (pid !== undefined) infraPids[comm] = pid;
    }
    const cluster: Cluster = { etcd, nats, apiserver, scheduler, client, podClients, infraPids, watch: { nc, js: nc.jetstream(), jsm: await nc.jetstreamManager() } };
    const startupSeconds = (performance.now() - began) / 1000;

    const results: ScenarioResult[] = [];
    let previousNodes: string[] = [];
    for (const [i, spec] of SCENARIOS.entries()) {
      const { result, nodeNames } = await runScenario(cluster, i, spec, previousNodes);
      results.push(result);
      previousNodes = nodeNames;
    }
    const totalSeconds = (performance.now() - began) / 1000;
    process.stdout.write(`${formatTable(results, startupSeconds, totalSeconds)}\n`);
    const report = { scale: SCALE, node: process.version, cores: availableParallelism(), finishedAt: new Date().toISOString(), anchor: ANCHOR, startupSeconds, totalSeconds, scenarios: results };
    await mkdir(dirname(OUTPUT), { recursive: true });
    await writeFile(OUTPUT, `${JSON.stringify(report, null, 2)}\n`);
    benchProgress(`figures written to ${OUTPUT}`);
  } finally {
    benchProgress("stopping the scheduler and the cluster");
    for (const c of clients) c.close();
    await nc?.close().catch(() => undefined);
    await scheduler?.kill();
    await apiserver?.kill();
    await Promise.allSettled([etcd?.stop(), nats?.stop()]);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  if (err instanceof Error && err.cause) process.stderr.write(`[bench] cause: ${String((err.cause as Error).stack ?? err.cause)}\n`);
  process.exitCode = 1;
});
