// `make bench-scale`: simulated nodes and pods towards Kubernetes' 5,000 nodes / 150,000 pods; API latency p99 (GET, LIST in a namespace, LIST cluster-wide, create) against its SLOs, and the servers' memory.
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, freemem, loadavg, totalmem } from "node:os";
import { dirname, resolve } from "node:path";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { childPids, clientTls, parseBenchScale, percentile, processRssMiB, serviceEntry, startEtcd, startNats, startServiceProcess, waitFor, type EtcdCluster, type NatsServer, type ServiceProcess } from "@kubeplane/testing";
import { endpointStatus, mib } from "./etcd-status.js";
import { progress } from "./run-support.js";

type Json = Record<string, unknown>;
const pods = kindFor("v1", "Pod") as KindInfo;
const nodes = kindFor("v1", "Node") as KindInfo;
const namespaces = kindFor("v1", "Namespace") as KindInfo;

/** KP_BENCH_SCALE=10 is Kubernetes' envelope (5,000 nodes, 150,000 pods); the default 1 is a tenth of the nodes and pods. */
const SCALE = parseBenchScale(process.env.KP_BENCH_SCALE);
const NODES = Math.max(1, Math.round(500 * SCALE));
const PODS = Math.max(1, Math.round(15_000 * SCALE));
/** Pods per namespace: Kubernetes' density tests use namespaces of a few hundred pods. */
const PODS_PER_NAMESPACE = 300;
const CREATE_CONCURRENCY = 64;
const CONNECTIONS = 4;
const SAMPLES = { get: 2000, listNamespace: 200, listCluster: 10 };
/** Kubernetes' API call latency SLOs (p99 over a day, for clusters up to 5,000 nodes): mutating and single-object reads 1 s, namespace LIST 5 s, cluster LIST 30 s. */
const SLO_SECONDS = { create: 1, get: 1, listNamespace: 5, listCluster: 30 };
const OUTPUT = resolve(".local/bench/scale.json");

interface Latency {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  sloMs: number;
  withinSlo: boolean;
}

function latency(samples: number[], sloSeconds: number): Latency {
  const sorted = Float64Array.from(samples).sort();
  const p99 = percentile(sorted, 99);
  return { count: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: p99, maxMs: sorted[sorted.length - 1] ?? NaN, sloMs: sloSeconds * 1000, withinSlo: p99 <= sloSeconds * 1000 };
}

/** Runs `op(i)` for i in 0..count-1 on `concurrency` workers, timing each; a failure is rethrown. */
async function timed(count: number, concurrency: number, op: (i: number) => Promise<unknown>, label: string): Promise<number[]> {
  const out: number[] = [];
  let next = 0;
  const ticker = setInterval(() => progress(`${label}: ${out.length}/${count}; load ${loadavg()[0]!.toFixed(1)}`), 10_000);
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, count) }, async () => {
        while (next < count) {
          const i = next++;
          const t = performance.now();
          await op(i);
          out.push(performance.now() - t);
        }
      }),
    );
  } finally {
    clearInterval(ticker);
  }
  return out;
}

function pod(namespace: string, name: string, nodeName: string): Json {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace, name, labels: { app: "density", group: String(name.length % 10) } },
    spec: { nodeName, containers: [{ name: "app", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "10m", memory: "16Mi" } } }], terminationGracePeriodSeconds: 0 },
  };
}

async function rss(pids: Record<string, number | undefined>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) if (pid !== undefined) out[name] = await processRssMiB(pid).catch(() => NaN);
  return out;
}

async function main(): Promise<void> {
  const began = performance.now();
  const namespaceCount = Math.max(1, Math.ceil(PODS / PODS_PER_NAMESPACE));
  progress(`scale bench (KP_BENCH_SCALE=${SCALE}): ${NODES} simulated nodes, ${PODS} pods in ${namespaceCount} namespaces; load average ${loadavg()[0]!.toFixed(1)}, ${(freemem() / 2 ** 30).toFixed(1)} GiB free`);
  let etcd: EtcdCluster | undefined;
  let nats: NatsServer | undefined;
  let apiserver: ServiceProcess | undefined;
  let kubelet: ServiceProcess | undefined;
  const clients: ApiClient[] = [];
  try {
    [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
    apiserver = await startServiceProcess({ entry: serviceEntry("apiserver"), flags: { "etcd-endpoints": etcd.endpoints.join(","), "nats-url": nats.url, "max-requests-inflight": "0" }, readyTimeoutMs: 60_000 });
    for (let i = 0; i < CONNECTIONS; i++) clients.push(ApiClient.connect({ ...clientTls(), server: apiserver.grpcAddress, userAgent: `scale-bench-${i}`, timeoutMs: 120_000 }));
    const client = clients[0]!;
    const nodeStarted = performance.now();
    kubelet = await startServiceProcess({
      entry: serviceEntry("kubelet"),
      flags: { apiserver: apiserver.grpcAddress, "nats-url": nats.url, simulate: String(NODES), "simulate-prefix": "scale-node" },
      readyTimeoutMs: 1_800_000,
    });
    await waitFor(async () => (await client.json.listAll(nodes)).items.length >= NODES, { timeoutMs: 1_800_000, intervalMs: 2000, message: `${NODES} nodes registered` });
    const nodeSeconds = (performance.now() - nodeStarted) / 1000;
    progress(`${NODES} nodes registered in ${nodeSeconds.toFixed(0)} s`);

    for (let n = 0; n < namespaceCount; n++) await client.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: `density-${n}` } });
    const podStarted = performance.now();
    const createMs = await timed(PODS, CREATE_CONCURRENCY, (i) => clients[i % CONNECTIONS]!.json.create(pods, pod(`density-${i % namespaceCount}`, `pod-${i}`, `scale-node-${i % NODES}`)), "create pods");
    const podSeconds = (performance.now() - podStarted) / 1000;
    progress(`${PODS} pods created in ${podSeconds.toFixed(0)} s (${(PODS / podSeconds).toFixed(0)}/s); waiting until the simulated kubelet reports them Running`);
    await waitFor(
      async () => {
        const listed = (await client.json.listAll(pods, { fieldSelector: "status.phase=Running" })).items.length;
        progress(`${listed}/${PODS} pods Running`);
        return listed >= PODS;
      },
      { timeoutMs: 1_800_000, intervalMs: 10_000, message: `${PODS} pods Running` },
    );
    const runningSeconds = (performance.now() - podStarted) / 1000;

    progress("measuring GET, LIST in a namespace and LIST cluster-wide on the steady cluster");
    const loadBefore = loadavg()[0]!;
    const getMs = await timed(SAMPLES.get, 16, (i) => {
      const j = (i * 7919) % PODS;
      return clients[i % CONNECTIONS]!.json.get(pods, `density-${j % namespaceCount}`, `pod-${j}`);
    }, "get");
    const listNsMs = await timed(SAMPLES.listNamespace, 4, (i) => clients[i % CONNECTIONS]!.json.listAll(pods, { namespace: `density-${i % namespaceCount}` }), "list in a namespace");
    const listAllMs = await timed(SAMPLES.listCluster, 1, () => client.json.listAll(pods), "list cluster-wide");
    const loadAfter = loadavg()[0]!;
    const memory = await rss({ apiserver: apiserver.pid, etcd: (await childPids("etcd"))[0], "nats-server": (await childPids("nats-server"))[0], "kubelet (simulated nodes)": kubelet.pid });
    const etcdDb = (await endpointStatus(etcd.endpoints))[0];

    const results = {
      create: latency(createMs, SLO_SECONDS.create),
      get: latency(getMs, SLO_SECONDS.get),
      listNamespace: latency(listNsMs, SLO_SECONDS.listNamespace),
      listCluster: latency(listAllMs, SLO_SECONDS.listCluster),
    };
    const report = {
      scale: SCALE,
      nodes: NODES,
      pods: PODS,
      namespaces: namespaceCount,
      nodeRegistrationSeconds: nodeSeconds,
      podCreateSeconds: podSeconds,
      podsRunningSeconds: runningSeconds,
      latency: results,
      rssMiB: memory,
      etcdDbSizeMiB: etcdDb ? Number(mib(etcdDb.dbSize)) : NaN,
      loadAverage: { measuringStart: loadBefore, measuringEnd: loadAfter, end: loadavg() },
      machine: { cores: availableParallelism(), memoryGiB: totalmem() / 2 ** 30 },
      totalSeconds: (performance.now() - began) / 1000,
      finishedAt: new Date().toISOString(),
    };
    await mkdir(dirname(OUTPUT), { recursive: true });
    await writeFile(OUTPUT, `${JSON.stringify(report, null, 2)}\n`);
    const row = (name: string, l: Latency): string =>
      `  ${name.padEnd(22)} ${String(l.count).padStart(6)}  p50 ${l.p50Ms.toFixed(1).padStart(8)} ms  p99 ${l.p99Ms.toFixed(1).padStart(8)} ms  max ${l.maxMs.toFixed(1).padStart(8)} ms  SLO p99 ≤ ${l.sloMs / 1000} s: ${l.withinSlo ? "met" : "MISSED"}`;
    process.stdout.write(
      [
        `scale bench: ${NODES} simulated nodes, ${PODS} pods (${namespaceCount} namespaces of ≤ ${PODS_PER_NAMESPACE}); 1-member etcd, NATS, 1 apiserver (flow control off), 1 kubelet simulating every node; node ${process.version}, ${availableParallelism()} cores`,
        `nodes registered in ${nodeSeconds.toFixed(0)} s; pods created in ${podSeconds.toFixed(0)} s (${(PODS / podSeconds).toFixed(0)}/s, ${CREATE_CONCURRENCY} in flight); all Running after ${runningSeconds.toFixed(0)} s`,
        "API latency (client-side, whole call; cluster-wide LIST = every page of 500):",
        row("create pod (during load)", results.create),
        row("GET pod", results.get),
        row(`LIST pods in a namespace`, results.listNamespace),
        row("LIST pods cluster-wide", results.listCluster),
        `RSS MiB: ${Object.entries(memory)
          .map(([k, v]) => `${k} ${v.toFixed(0)}`)
          .join(", ")}; etcd db ${report.etcdDbSizeMiB} MiB`,
        `load average while measuring ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)} on ${availableParallelism()} cores; whole run ${report.totalSeconds.toFixed(0)} s; figures in ${OUTPUT}`,
      ].join("\n") + "\n",
    );
  } finally {
    for (const c of clients) c.close();
    await kubelet?.kill();
    await apiserver?.kill();
    await Promise.allSettled([etcd?.stop(), nats?.stop()]);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
