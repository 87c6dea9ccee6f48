// `make bench` (kubelet, simulated mode): how fast 10,000 pods on 1,000 simulated nodes are reported Running (KWOK's CI bound: 240 s; ours: 30 s).
import { setMaxListeners } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { connect } from "nats";
import { Registry } from "prom-client";
import { coreV1Pod, kindFor, type coreV1Config, type KindInfo } from "@kubeplane/api";
import { ApiClient, Informer, type WatchConnection } from "@kubeplane/client";
import { createLogger } from "@kubeplane/service-kit";
import { benchProgress, childPids, clientTls, natsOptions, parseBenchScale, percentile, processCpuSeconds, runConcurrently, serviceEntry, startControlPlane, startServiceProcess, waitFor, type ControlPlane, type ServiceProcess } from "@kubeplane/testing";
import { startSimulatedNodes, type SimulatedNodes } from "../src/simulate/index.js";

type Pod = coreV1Pod.Pod;
const pods = kindFor("v1", "Pod") as KindInfo<Pod>;
const namespaces = kindFor("v1", "Namespace") as KindInfo<coreV1Config.Namespace>;

/** Multiplies the node and pod counts; KP_BENCH_SCALE=0.1 is a quick smoke run. */
const SCALE = parseBenchScale(process.env.KP_BENCH_SCALE);
const NODES = Math.max(1, Math.round(1000 * SCALE));
const PODS = Math.max(1, Math.round(10_000 * SCALE));
/** Pod creates in flight, over this many connections (grpc-js would otherwise share one HTTP/2 connection). */
const CREATE_CONCURRENCY = 100;
const CONNECTIONS = 4;
/** Set KP_BENCH_SCHEDULER=0 to skip the variant where the scheduler binds the pods. */
const WITH_SCHEDULER = process.env.KP_BENCH_SCHEDULER !== "0";
/** The simulator's status writes in flight (KP_BENCH_SIM_CONCURRENCY); as many as the creators', so neither starves the other. */
const SIM_CONCURRENCY = Number(process.env.KP_BENCH_SIM_CONCURRENCY ?? 100);
const RUNNING_TIMEOUT_MS = 600_000;
const OUTPUT = resolve(".local/bench/kubelet-simulate.json");
const TARGET_SECONDS = 30;

interface Result {
  scenario: string;
  pods: number;
  createSeconds: number;
  /** From the first create until the bench's informer saw the last pod Running. */
  allRunningSeconds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** % of one core from the first create until all Running. */
  cpu: Record<string, number>;
}

function pod(namespace: string, name: string, nodeName: string): Pod {
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace, name, labels: { app: "bench" } },
    spec: { nodeName, containers: [{ name: "app", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "100m", memory: "64Mi" } } }] },
  });
}

/** Creates `count` pods in `namespace` (bound round-robin when `prebound`) and times them until the informer sees each Running. */
async function scenario(name: string, cp: ControlPlane, watch: WatchConnection, clients: ApiClient[], sim: SimulatedNodes, prebound: boolean, extraPids: Record<string, number>): Promise<Result> {
  const namespace = `bench-${name}`;
  await clients[0]!.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  const created = new Map<string, number>();
  const running = new Map<string, number>();
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const informer = new Informer({ client: clients[0]!, watch, kind: pods, namespace });
  const observe = (p: Pod): void => {
    if (p.status?.phase === "Running" && !running.has(p.metadata!.name)) running.set(p.metadata!.name, performance.now());
  };
  informer.addEventHandler({ onAdd: observe, onUpdate: (_o, p) => observe(p) });
  const informing = informer.run(stop.signal);
  try {
    await informer.waitForSync(AbortSignal.timeout(60_000));
    const pids: Record<string, number> = { apiserver: cp.apiserver.pid, ...extraPids };
    for (const comm of ["etcd", "nats-server"]) {
      const [pid] = await childPids(comm);
      if (pid !== undefined) pids[comm] = pid;
    }
    const cpuBefore = Object.fromEntries(await Promise.all(Object.entries(pids).map(async ([k, pid]) => [k, await processCpuSeconds(pid)] as const)));
    const selfBefore = process.cpuUsage();
    benchProgress(`${name}: creating ${PODS} pods${prebound ? " bound round-robin" : ""}, ${CREATE_CONCURRENCY} in flight`);
    const started = performance.now();
    let last = 0;
    const ticker = setInterval(() => {
      benchProgress(`${name}: ${created.size} created, ${running.size}/${PODS} Running after ${((performance.now() - started) / 1000).toFixed(1)} s (+${running.size - last}/s)`);
      last = running.size;
    }, 1000);
    let createSeconds: number;
    try {
      createSeconds = await runConcurrently(`${name}: create pods`, PODS, CREATE_CONCURRENCY, (i) => {
        const podName = `pod-${i}`;
        created.set(podName, performance.now());
        return clients[i % clients.length]!.create(pods, pod(namespace, podName, prebound ? sim.nodeNames[i % sim.nodeNames.length]! : ""));
      });
      await waitFor(() => running.size >= PODS, { timeoutMs: RUNNING_TIMEOUT_MS, intervalMs: 20, message: `${PODS} pods Running in ${namespace}` });
    } finally {
      clearInterval(ticker);
    }
    const allRunningSeconds = (Math.max(...running.values()) - started) / 1000;
    const elapsed = (performance.now() - started) / 1000;
    const cpu: Record<string, number> = {};
    for (const [k, pid] of Object.entries(pids)) cpu[k] = (100 * ((await processCpuSeconds(pid)) - cpuBefore[k]!)) / elapsed;
    const self = process.cpuUsage(selfBefore);
    cpu["bench+simulator"] = (100 * (self.user + self.system)) / 1e6 / elapsed;
    const latencies = new Float64Array([...running].map(([n, t]) => t - created.get(n)!)).sort();
    return {
      scenario: name,
      pods: PODS,
      createSeconds,
      allRunningSeconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies[latencies.length - 1]!,
      cpu,
    };
  } finally {
    stop.abort();
    await informing;
  }
}


function report(nodeSeconds: number, results: Result[]): string {
  const lines = [
    `kubelet simulated mode (KP_BENCH_SCALE=${SCALE}): ${NODES} nodes, ${PODS} pods per scenario, ${SIM_CONCURRENCY} status writes in flight; load average ${loadavg()[0]!.toFixed(2)}`,
    `  node registration (Node + Lease, 32 in flight): ${nodeSeconds.toFixed(2)} s (${(NODES / nodeSeconds).toFixed(0)} nodes/s)`,
  ];
  for (const r of results) {
    const verdict = r.allRunningSeconds <= TARGET_SECONDS * SCALE ? "within" : "over";
    lines.push(
      `  ${r.scenario}: ${r.pods} pods all Running in ${r.allRunningSeconds.toFixed(2)} s (${(r.pods / r.allRunningSeconds).toFixed(0)} pods/s; ${verdict} the ${TARGET_SECONDS} s target scaled by ${SCALE}); creates took ${r.createSeconds.toFixed(2)} s`,
      `    per pod, create → Running seen by watch: p50 ${r.p50Ms.toFixed(0)} ms, p99 ${r.p99Ms.toFixed(0)} ms, max ${r.maxMs.toFixed(0)} ms`,
      `    CPU (% of one core): ${Object.entries(r.cpu).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", ")}`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  benchProgress(`starting etcd, NATS and the apiserver`);
  const cp = await startControlPlane();
  const clients = Array.from({ length: CONNECTIONS }, (_, i) => ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress, userAgent: `simulate-bench-${i}` }));
  const nc = await connect({ ...natsOptions(cp.nats.url ), servers: cp.nats.url });
  const watch = { js: nc.jetstream(), jsm: await nc.jetstreamManager() };
  let sim: SimulatedNodes | undefined;
  let scheduler: ServiceProcess | undefined;
  try {
    benchProgress(`registering ${NODES} simulated nodes`);
    const nodesStarted = performance.now();
    sim = startSimulatedNodes({ client: clients[0]!, watch, logger: createLogger("simulate-bench", "warn"), registry: new Registry(), count: NODES, namePrefix: "sim-node-", concurrency: SIM_CONCURRENCY });
    await sim.ready();
    const nodeSeconds = (performance.now() - nodesStarted) / 1000;
    benchProgress(`${NODES} nodes registered in ${nodeSeconds.toFixed(2)} s`);
    const results = [await scenario("prebound", cp, watch, clients, sim, true, {})];
    if (WITH_SCHEDULER) {
      benchProgress("starting the scheduler");
      scheduler = await startServiceProcess({ entry: serviceEntry("scheduler"), flags: { apiserver: cp.apiserver.grpcAddress, "nats-url": cp.nats.url, "leader-elect": "false" } });
      results.push(await scenario("scheduled", cp, watch, clients, sim, false, { scheduler: scheduler.pid }));
    }
    process.stdout.write(`${report(nodeSeconds, results)}\n`);
    await mkdir(dirname(OUTPUT), { recursive: true });
    const figures = { scale: SCALE, nodes: NODES, pods: PODS, targetSeconds: TARGET_SECONDS * SCALE, simConcurrency: SIM_CONCURRENCY, nodeRegistrationSeconds: nodeSeconds, scenarios: results, loadAverage: loadavg()[0], node: process.version, cores: availableParallelism(), finishedAt: new Date().toISOString() };
    await writeFile(OUTPUT, `${JSON.stringify(figures, null, 2)}\n`);
    benchProgress(`figures written to ${OUTPUT}`);
  } finally {
    await sim?.stop();
    await scheduler?.kill();
    for (const c of clients) c.close();
    await nc.close();
    await cp.stop();
  }
}

await main();
