// `make bench`: the apiserver's CPU per write of each kind a scheduled pod costs (create, binding,
// Scheduled event), and per empty call, measured on the apiserver process from /proc.
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { coreV1Event, coreV1Pod, kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { benchProgress, clientTls, parseBenchScale, processCpuSeconds, runConcurrently, startEtcd, startNats, startServiceProcess } from "@kubeplane/testing";

const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const events = kindFor("v1", "Event")!;
const namespaces = kindFor("v1", "Namespace")!;
const apiserverMain = fileURLToPath(new URL("../src/main.ts", import.meta.url));
/** Multiplies the operation counts; KP_BENCH_SCALE=0.1 is a quick smoke run. */
const SCALE = parseBenchScale(process.env.KP_BENCH_SCALE);
const OPS = Math.max(100, Math.round(5000 * SCALE));
const CONCURRENCY = 100;
const CONNECTIONS = 4;
const NAMESPACE = "bench-write-cost";
/** Writes per batched call (the scheduler's binder sends up to 128, the event broadcaster up to 128), and such calls in flight. */
const BATCH = 50;
const BATCH_CALLS_IN_FLIGHT = 4;
const OUTPUT = resolve(".local/bench/apiserver-write-cost.json");
/** KP_BENCH_CPU_PROF=dir: the apiserver runs under `node --cpu-prof` writing into dir, and dir/phases.json gets each
 * operation's window on the monotonic clock (µs, the profile's clock) so a profile can be cut per operation. */
const CPU_PROF_DIR = process.env.KP_BENCH_CPU_PROF ? resolve(process.env.KP_BENCH_CPU_PROF) : "";

interface Row {
  operation: string;
  ops: number;
  opsPerSec: number;
  /** The apiserver process's CPU (user + system) per operation. */
  apiserverCpuMs: number;
  /** This (client) process's CPU per operation. */
  clientCpuMs: number;
}

function pod(i: number, prefix = "pod"): coreV1Pod.Pod {
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: NAMESPACE, name: `${prefix}-${i}` },
    spec: { containers: [{ name: "app", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "100m", memory: "128Mi" } } }] },
  });
}

/** The Scheduled event of pod `prefix-i`, as the scheduler's recorder writes it. */
function scheduledEvent(prefix: string, i: number) {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { namespace: NAMESPACE, name: `${prefix}-${i}.${i.toString(16)}` },
    involvedObject: { kind: "Pod", namespace: NAMESPACE, name: `${prefix}-${i}` },
    reason: "Scheduled",
    message: `Successfully assigned ${NAMESPACE}/${prefix}-${i} to node-${i % 50}`,
    type: "Normal",
    source: { component: "default-scheduler" },
  } satisfies coreV1Event.DeepPartial<coreV1Event.Event> & Record<string, unknown>;
}

async function main(): Promise<void> {
  benchProgress(`starting etcd, NATS JetStream and the apiserver (${OPS} operations of each kind, ${CONCURRENCY} in flight over ${CONNECTIONS} connections)`);
  const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  if (CPU_PROF_DIR) {
    await mkdir(CPU_PROF_DIR, { recursive: true });
    process.env.KP_SERVICE_NODE_ARGS = `${process.env.KP_SERVICE_NODE_ARGS ?? ""} --cpu-prof --cpu-prof-dir=${CPU_PROF_DIR}`.trim();
  }
  const phases: { operation: string; ops: number; startUs: number; endUs: number }[] = [];
  const apiserver = await startServiceProcess({ entry: apiserverMain, flags: { "etcd-endpoints": etcd.endpoints.join(","), "nats-url": nats.url } });
  const clients = Array.from({ length: CONNECTIONS }, (_, i) => ApiClient.connect({ ...clientTls(), server: apiserver.grpcAddress, userAgent: `write-cost-bench-${i}` }));
  const rows: Row[] = [];
  /** Times `ops` writes made by `calls` calls of `call` (`inFlight` at once); a single write a call by default. */
  const measure = async (operation: string, ops: number, call: (i: number, client: ApiClient) => Promise<unknown>, calls = ops, inFlight = CONCURRENCY): Promise<void> => {
    const apiBefore = await processCpuSeconds(apiserver.pid);
    const me = process.cpuUsage();
    const startUs = Number(process.hrtime.bigint() / 1000n);
    const seconds = await runConcurrently(operation, calls, inFlight, (i) => call(i, clients[i % CONNECTIONS]!));
    const apiCpu = (await processCpuSeconds(apiserver.pid)) - apiBefore;
    const mine = process.cpuUsage(me);
    phases.push({ operation, ops, startUs, endUs: Number(process.hrtime.bigint() / 1000n) });
    rows.push({ operation, ops, opsPerSec: ops / seconds, apiserverCpuMs: (1000 * apiCpu) / ops, clientCpuMs: (mine.user + mine.system) / 1000 / ops });
  };
  try {
    await clients[0]!.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
    // Warm-up: JIT, connections, the publisher's first window.
    for (let i = 0; i < 500; i++) await clients[i % CONNECTIONS]!.version();
    await runConcurrently("warm-up creates", 300, CONCURRENCY, (i) => clients[i % CONNECTIONS]!.create(pods, pod(1_000_000 + i)));
    rows.length = 0;
    await measure("empty call (Version)", OPS * 2, (_, c) => c.version());
    await measure("pod create", OPS, (i, c) => c.create(pods, pod(i)));
    await measure("pod binding", OPS, (i, c) => c.bind(NAMESPACE, `pod-${i}`, `node-${i % 50}`));
    await measure("event create", OPS, (i, c) => c.json.create(events, scheduledEvent("pod", i)));
    // The calls the scheduler's binder and the event broadcaster make under load: BATCH writes a call, a few calls in flight.
    // A row's ops are writes (bindings, events), not calls, so its CPU per op is the amortised cost per write.
    await runConcurrently("pod creates for the batched bindings", OPS, CONCURRENCY, (i) => clients[i % CONNECTIONS]!.create(pods, pod(i, "batched")));
    const calls = Math.ceil(OPS / BATCH);
    const slice = (call: number): number[] => Array.from({ length: Math.min(BATCH, OPS - call * BATCH) }, (_, k) => call * BATCH + k);
    const allDone = (outcomes: (Error | undefined)[]): void => {
      const failed = outcomes.find((o) => o !== undefined);
      if (failed) throw failed;
    };
    await measure(`pod binding ×${BATCH} (BindPods)`, OPS, async (call, c) => allDone(await c.bindPods(slice(call).map((i) => ({ namespace: NAMESPACE, pod: `batched-${i}`, node: `node-${i % 50}` })))), calls, BATCH_CALLS_IN_FLIGHT);
    await measure(`event create ×${BATCH} (CreateEvents)`, OPS, async (call, c) => allDone(await c.createEvents(slice(call).map((i) => coreV1Event.Event.fromPartial(scheduledEvent("batched", i))))), calls, BATCH_CALLS_IN_FLIGHT);
  } finally {
    for (const c of clients) c.close();
    await apiserver.kill();
    await Promise.allSettled([etcd.stop(), nats.stop()]);
    if (CPU_PROF_DIR) await writeFile(resolve(CPU_PROF_DIR, "phases.json"), `${JSON.stringify(phases, null, 2)}\n`);
  }
  const lines = [
    `apiserver CPU per write — scale ${SCALE}, 1-member etcd, NATS JetStream, apiserver as a process; node ${process.version}, ${availableParallelism()} cores; ${CONCURRENCY} in flight over ${CONNECTIONS} connections`,
    "",
    `${"operation".padEnd(34)}${"ops/s".padStart(8)}${"apiserver ms CPU/op".padStart(22)}${"client ms CPU/op".padStart(19)}`,
    ...rows.map((r) => `${r.operation.padEnd(34)}${r.opsPerSec.toFixed(0).padStart(8)}${r.apiserverCpuMs.toFixed(3).padStart(22)}${r.clientCpuMs.toFixed(3).padStart(19)}`),
    "",
    "a scheduled pod costs one pod create, one binding and one event: the sum bounds pods/s per apiserver core",
    `the ×${BATCH} rows are the batched calls the scheduler's binder and the event broadcaster make: CPU per write, amortised over the call`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  await mkdir(dirname(OUTPUT), { recursive: true });
  await writeFile(OUTPUT, `${JSON.stringify({ scale: SCALE, node: process.version, cores: availableParallelism(), finishedAt: new Date().toISOString(), rows }, null, 2)}\n`);
  benchProgress(`figures written to ${OUTPUT}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
