// `make bench` for the apiserver: raw etcd put rate vs apiserver create throughput, and watch delivery latency to 100 informers.
import { setMaxListeners } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { kindFor, type ApiObject, type KindInfo } from "@kubeplane/api";
import { ApiClient, Informer } from "@kubeplane/client";
import { EtcdStore } from "@kubeplane/storage";
import { benchProgress, clientTls, etcdStoreTls, parseBenchScale, percentile, waitFor } from "@kubeplane/testing";
import { minimalObject } from "../test/fixtures.js";
import { startTestCluster, type TestCluster } from "../test/harness.js";
import type { Apiserver } from "../src/index.js";

const configMaps = kindFor("v1", "ConfigMap")!;
const namespaces = kindFor("v1", "Namespace")!;

/**
 * Multiplies every operation count. At 1 the run takes about two minutes on two cores, each
 * measurement lasting several seconds; KP_BENCH_SCALE=0.1 is a quick smoke run.
 */
const SCALE = parseBenchScale(process.env.KP_BENCH_SCALE);
/** KP_BENCH_GROUP_COMMIT=false runs the apiserver with --etcd-group-commit=false (one etcd txn per write), for comparison. */
const GROUP_COMMIT = process.env.KP_BENCH_GROUP_COMMIT !== "false";
const WARMUP_OPS = 100;
const LEVELS = [1, 10, 100] as const;
const ETCD_OPS: Record<number, number> = { 1: 10_000, 10: 20_000, 100: 30_000 };
const APISERVER_OPS: Record<number, number> = { 1: 8000, 10: 16_000, 100: 20_000 };
/**
 * The apiserver clients of one level share min(concurrency, 8) gRPC connections round-robin, as a
 * handful of controllers would. Each gets its own user agent: grpc-js otherwise pools identical
 * channels onto one HTTP/2 connection.
 */
const MAX_CONNECTIONS = 8;
const INFORMERS = 100;
const WATCH_WRITES = 1000;
const WATCH_WARMUP_WRITES = 10;
const WATCH_NAMESPACE = "bench-watch";
const VALUE_BYTES = 200;
const OUTPUT = resolve(".local/bench/apiserver.json");

interface WriteResult {
  concurrency: number;
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

interface ApiserverWriteResult extends WriteResult {
  connections: number;
  /** apiserver ops/s ÷ raw etcd ops/s at the same concurrency. */
  ratioToEtcd: number;
  /** How long after the last create was acknowledged the watch publisher had put it on NATS. */
  publisherCatchUpSeconds: number;
  /** Writes per etcd txn while the level ran (apiserver_storage_group_commit_batch_size); 1 without group commit. */
  writesPerTxn: number;
}

interface WatchResult {
  informers: number;
  writes: number;
  expectedDeliveries: number;
  deliveries: number;
  /** Latency from the start of each create call to each informer's onAdd. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The creates' own round trip, for reading the delivery figures against. */
  createP50Ms: number;
  informerStartSeconds: number;
}

const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE));

/**
 * Runs `op(0..total-1)` on `concurrency` workers pulling from one counter and returns the figures;
 * the first error stops every worker and is rethrown. Reports progress every two seconds.
 */
async function runLevel(label: string, concurrency: number, total: number, op: (i: number, worker: number) => Promise<unknown>): Promise<WriteResult> {
  const latencies = new Float64Array(total);
  let next = 0;
  let done = 0;
  let failed = false;
  const ticker = setInterval(() => benchProgress(`${label}: ${done}/${total}`), 2000);
  const started = performance.now();
  const worker = async (w: number): Promise<void> => {
    while (!failed && next < total) {
      const i = next++;
      const t0 = performance.now();
      try {
        await op(i, w);
      } catch (err) {
        failed = true;
        throw new Error(`${label}: operation ${i} failed`, { cause: err });
      }
      latencies[i] = performance.now() - t0;
      done++;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  } finally {
    clearInterval(ticker);
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort();
  const result = { concurrency, ops: total, seconds, opsPerSec: total / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
  benchProgress(`${label}: ${total} ops in ${seconds.toFixed(1)} s, ${result.opsPerSec.toFixed(0)} ops/s`);
  return result;
}

/** Warm-up ops run the same way but are not counted. */
async function warmUp(concurrency: number, op: (i: number, worker: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, WARMUP_OPS) }, async (_, w) => {
      while (next < WARMUP_OPS) await op(next++, w);
    }),
  );
}

const payload = (bytes: number): string => "x".repeat(bytes);

function configMap(namespace: string, name: string, data: Record<string, string>): ApiObject {
  return configMaps.codec.fromPartial({ ...minimalObject(configMaps, name), metadata: { name, namespace }, data });
}

async function benchEtcd(cluster: TestCluster): Promise<WriteResult[]> {
  // The baseline is one txn per create, as a plain etcd client writes: what group commit has to beat.
  const store = EtcdStore.connect({ tls: etcdStoreTls(), endpoints: cluster.etcd.endpoints, groupCommit: false });
  const value = Buffer.from(payload(VALUE_BYTES));
  try {
    const results: WriteResult[] = [];
    for (const c of LEVELS) {
      await warmUp(c, (i) => store.create(`/bench/raw/warmup-${c}/${i}`, value));
      results.push(await runLevel(`etcd create c=${c}`, c, scaled(ETCD_OPS[c]!), (i) => store.create(`/bench/raw/c${c}/${i}`, value)));
    }
    return results;
  } finally {
    store.close();
  }
}

/** The revision the apiserver's watch publisher last saw acknowledged by JetStream. */
async function publishedRevision(apiserver: Apiserver): Promise<number> {
  return (await apiserver.metrics.publishedRevision.get()).values[0]?.value ?? 0;
}

/** Txns and writes the apiserver's group commit has sent so far. */
async function groupCommitTotals(apiserver: Apiserver): Promise<{ txns: number; writes: number }> {
  const values = (await apiserver.metrics.groupCommitBatchSize.get()).values;
  const total = (suffix: string): number => values.find((v) => v.metricName === `apiserver_storage_group_commit_batch_size_${suffix}`)?.value ?? 0;
  return { txns: total("count"), writes: total("sum") };
}

/** Seconds until the watch publisher has published `revision` (it trails creates when they outpace it). */
async function publisherCatchUp(apiserver: Apiserver, revision: number): Promise<number> {
  const started = performance.now();
  await waitFor(async () => (await publishedRevision(apiserver)) >= revision, { timeoutMs: 300_000, intervalMs: 10, message: `the watch publisher reaching revision ${revision}` });
  return (performance.now() - started) / 1000;
}

async function benchApiserver(cluster: TestCluster, etcd: WriteResult[]): Promise<ApiserverWriteResult[]> {
  const server = cluster.apiservers[0]!.addresses.grpcAddress;
  const clients = Array.from({ length: MAX_CONNECTIONS }, (_, k) => ApiClient.connect({ ...clientTls(), server, timeoutMs: 30_000, userAgent: `kubeplane-bench/${k}` }));
  const data = { payload: payload(VALUE_BYTES) };
  try {
    const results: ApiserverWriteResult[] = [];
    for (const [index, c] of LEVELS.entries()) {
      const namespace = `bench-c${c}`;
      await cluster.client.create(namespaces, minimalObject(namespaces, namespace));
      const connections = Math.min(c, MAX_CONNECTIONS);
      let lastRevision = 0;
      const create = async (name: string, worker: number): Promise<void> => {
        const created = await clients[worker % connections]!.create(configMaps, configMap(namespace, name, data));
        lastRevision = Math.max(lastRevision, Number(created.metadata!.resourceVersion));
      };
      await warmUp(c, (i, w) => create(`warmup-${i}`, w));
      await publisherCatchUp(cluster.apiservers[0]!, lastRevision);
      const before = await groupCommitTotals(cluster.apiservers[0]!);
      const result = await runLevel(`apiserver create c=${c} (${connections} conn)`, c, scaled(APISERVER_OPS[c]!), (i, w) => create(`cm-${i}`, w));
      const sent = await groupCommitTotals(cluster.apiservers[0]!);
      const writesPerTxn = sent.txns > before.txns ? (sent.writes - before.writes) / (sent.txns - before.txns) : 1;
      const publisherCatchUpSeconds = await publisherCatchUp(cluster.apiservers[0]!, lastRevision);
      benchProgress(`apiserver create c=${c}: watch publisher caught up ${publisherCatchUpSeconds.toFixed(2)} s after the last create`);
      results.push({ ...result, connections, ratioToEtcd: result.opsPerSec / etcd[index]!.opsPerSec, publisherCatchUpSeconds, writesPerTxn });
    }
    return results;
  } finally {
    for (const client of clients) client.close();
  }
}

async function benchWatch(cluster: TestCluster): Promise<WatchResult> {
  const writes = scaled(WATCH_WRITES);
  await cluster.client.create(namespaces, minimalObject(namespaces, WATCH_NAMESPACE));
  const writeStart = new Map<string, number>();
  const delays: number[] = [];
  const stop = new AbortController();
  // Every informer listens on the same signals; that is many listeners by design, not a leak.
  setMaxListeners(INFORMERS * 4, stop.signal);
  const runs: Promise<void>[] = [];
  try {
    benchProgress(`starting ${INFORMERS} informers on ${WATCH_NAMESPACE}`);
    const informerStart = performance.now();
    const informers = Array.from({ length: INFORMERS }, () => new Informer({ client: cluster.client, watch: cluster.watch, kind: configMaps, namespace: WATCH_NAMESPACE }));
    for (const informer of informers) {
      informer.addEventHandler({
        onAdd(obj) {
          const started = writeStart.get(obj.metadata!.name!);
          if (started !== undefined) delays.push(Date.now() - started);
        },
      });
      runs.push(informer.run(stop.signal));
    }
    const syncDeadline = AbortSignal.timeout(120_000);
    setMaxListeners(INFORMERS * 2, syncDeadline);
    await Promise.all(informers.map((informer) => informer.waitForSync(syncDeadline)));
    const informerStartSeconds = (performance.now() - informerStart) / 1000;
    const warmups = Math.min(WATCH_WARMUP_WRITES, writes);
    for (let i = 0; i < warmups; i++) await cluster.client.create(configMaps, configMap(WATCH_NAMESPACE, `warmup-${i}`, {}));
    await waitFor(() => informers.every((informer) => informer.lister.list().length >= warmups), { timeoutMs: 60_000, message: "every informer seeing the warm-up writes" });
    benchProgress(`${INFORMERS} informers synced in ${informerStartSeconds.toFixed(1)} s; writing ${writes} ConfigMaps one at a time`);

    const createLatencies = new Float64Array(writes);
    let written = 0;
    const ticker = setInterval(() => benchProgress(`watch: ${written}/${writes} written, ${delays.length}/${writes * INFORMERS} delivered`), 2000).unref();
    for (let i = 0; i < writes; i++) {
      const name = `cm-${i}`;
      const started = Date.now();
      writeStart.set(name, started);
      await cluster.client.create(configMaps, configMap(WATCH_NAMESPACE, name, { t: String(started) }));
      createLatencies[i] = Date.now() - started;
      written++;
    }
    clearInterval(ticker);
    const expected = writes * INFORMERS;
    await waitFor(() => delays.length >= expected, { timeoutMs: 60_000, intervalMs: 50, message: `${expected} informer deliveries` }).catch(() => {
      benchProgress(`watch: only ${delays.length}/${expected} deliveries arrived within 60 s`);
    });
    const sorted = Float64Array.from(delays).sort();
    createLatencies.sort();
    return {
      informers: INFORMERS,
      writes,
      expectedDeliveries: expected,
      deliveries: delays.length,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.length ? sorted[sorted.length - 1]! : NaN,
      createP50Ms: percentile(createLatencies, 50),
      informerStartSeconds,
    };
  } finally {
    stop.abort();
    await Promise.allSettled(runs);
  }
}

function formatTable(etcd: WriteResult[], api: ApiserverWriteResult[], watch: WatchResult, kind: KindInfo): string {
  const num = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : "-");
  const row = (cells: string[], widths: number[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const widths = [5, 7, 10, 7, 7, 6, 5, 10, 7, 7, 9, 7, 7];
  const lines = [
    `apiserver bench — scale ${SCALE}, 1-member etcd, NATS JetStream, in-process apiserver; node ${process.version}, ${availableParallelism()} cores`,
    `writes: raw etcd create, one txn each (${VALUE_BYTES}-byte values, keys /bench/raw/…) vs apiserver create of ${kind.kind}s (~${VALUE_BYTES}-byte data), etcd group commit ${GROUP_COMMIT ? "on" : "off"}`,
    "",
    row(["conc", "etcd n", "etcd ops/s", "p50 ms", "p99 ms", "api n", "conn", "api ops/s", "p50 ms", "p99 ms", "api÷etcd", "pub s", "w/txn"], widths),
  ];
  for (const [i, e] of etcd.entries()) {
    const a = api[i]!;
    lines.push(
      row(
        [String(e.concurrency), String(e.ops), num(e.opsPerSec), num(e.p50Ms, 2), num(e.p99Ms, 2), String(a.ops), String(a.connections), num(a.opsPerSec), num(a.p50Ms, 2), num(a.p99Ms, 2), num(a.ratioToEtcd, 2), num(a.publisherCatchUpSeconds, 2), num(a.writesPerTxn, 1)],
        widths,
      ),
    );
  }
  lines.push(
    "conn: gRPC connections shared round-robin by the clients; pub s: seconds after the last create until the watch publisher had it on NATS; w/txn: writes per etcd txn (group commit)",
    "",
    `watch: ${watch.writes} ConfigMaps written one at a time to ${watch.informers} informers (one shared NATS connection; synced in ${num(watch.informerStartSeconds, 1)} s)`,
    `  deliveries ${watch.deliveries}/${watch.expectedDeliveries}   write-start→onAdd p50 ${num(watch.p50Ms)} ms   p99 ${num(watch.p99Ms)} ms   max ${num(watch.maxMs)} ms   (create round trip p50 ${num(watch.createP50Ms)} ms)`,
  );
  return lines.join("\n");
}

async function main(): Promise<void> {
  benchProgress(`starting etcd, NATS JetStream and an in-process apiserver (KP_BENCH_SCALE=${SCALE})`);
  const cluster = await startTestCluster({ config: { etcdGroupCommit: GROUP_COMMIT } });
  try {
    const etcd = await benchEtcd(cluster);
    const api = await benchApiserver(cluster, etcd);
    const watch = await benchWatch(cluster);
    process.stdout.write(`${formatTable(etcd, api, watch, configMaps)}\n`);
    const report = { scale: SCALE, groupCommit: GROUP_COMMIT, node: process.version, cores: availableParallelism(), finishedAt: new Date().toISOString(), etcdCreate: etcd, apiserverCreate: api, watch };
    await mkdir(dirname(OUTPUT), { recursive: true });
    await writeFile(OUTPUT, `${JSON.stringify(report, null, 2)}\n`);
    benchProgress(`figures written to ${OUTPUT}`);
    if (watch.deliveries !== watch.expectedDeliveries) {
      throw new Error(`watch: ${watch.deliveries} of ${watch.expectedDeliveries} informer deliveries arrived`);
    }
  } finally {
    benchProgress("stopping the cluster");
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  if (err instanceof Error && err.cause) process.stderr.write(`[bench] cause: ${String((err.cause as Error).stack ?? err.cause)}\n`);
  process.exitCode = 1;
});
