// `make bench` (kubelet, real node): pod startup latency — created → Running as seen by a watch —
// for 50 pods on one kubelet with containerd, runc and CNI, inside a network namespace of its own
// (target p99 ≤ 1 s; the Kubernetes SLO is 5 s). KP_BENCH_SCALE multiplies the pod count. Prints
// where a start's time goes (the kubelet's kubelet_pod_start_phase_duration_seconds, mean per pod),
// the CPU of the kubelet, containerd and the whole machine, and the load average (other processes
// on the machine count); writes .local/bench/kubelet-pod-startup.json.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { connect } from "nats";
import { coreV1Pod, kindFor, type coreV1Node, type KindInfo } from "@kubeplane/api";
import { ApiClient, Informer } from "@kubeplane/client";
import { BUSYBOX_IMAGE, benchProgress, clientTls, clockTicks, enterTestNetns, metricSums, natsOptions, parseBenchScale, percentile, processCpuSeconds, startControlPlane, startNodeStack, waitFor } from "@kubeplane/testing";

await enterTestNetns(import.meta.url);

const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const nodes = kindFor("v1", "Node") as KindInfo<coreV1Node.Node>;
const PODS = Math.max(1, Math.round(50 * parseBenchScale(process.env.KP_BENCH_SCALE)));
const NODE = "bench-node";
const OUTPUT = resolve(".local/bench/kubelet-pod-startup.json");
const PHASE = "kubelet_pod_start_phase_duration_seconds";

/** CPU seconds the whole machine spent busy (every core; /proc/stat minus idle and iowait). */
async function machineCpuSeconds(): Promise<number> {
  const fields = (await readFile("/proc/stat", "utf8")).split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - fields[3]! - fields[4]!) / clockTicks();
}

/** CPU seconds of the process with `pid` and of its children it waited for (runc under a shim, …). */
async function processTreeCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  if (!stat) return 0;
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / clockTicks();
}

/**
 * CPU seconds of containerd (with the CNI plugin runs it waited for) and of its shims (one per pod,
 * with the runc runs they waited for).
 */
async function runtimeCpuSeconds(root: string): Promise<{ containerd: number; shims: number }> {
  const sum = { containerd: 0, shims: 0 };
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (!cmd.includes(root)) continue;
    if (cmd.includes("containerd-shim")) sum.shims += await processTreeCpuSeconds(Number(entry));
    else if (cmd.startsWith("containerd")) sum.containerd += await processTreeCpuSeconds(Number(entry));
  }
  return sum;
}

const cp = await startControlPlane();
const cleanups: Array<() => Promise<unknown>> = [() => cp.stop()];
try {
  const node = await startNodeStack(cp, { nodeName: NODE, podCidr: "10.88.20.0/24", kubeletFlags: { "max-pods": "250" } });
  cleanups.unshift(() => node.stop());
  const kubelet = node.kubelet;
  const client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
  await waitFor(async () => ((await client.get(nodes, "", NODE).catch(() => undefined)) as coreV1Node.Node | undefined)?.status?.conditions.some((c) => c.type === "Ready" && c.status === "True"), {
    timeoutMs: 60_000,
    message: "node Ready",
  });
  // The image is pulled once, as on a warm node: the figure is the kubelet's and the runtime's start path.
  await client.create(pods, coreV1Pod.Pod.fromPartial({ metadata: { name: "warm", namespace: "default" }, spec: { nodeName: NODE, containers: [{ name: "c", image: BUSYBOX_IMAGE, command: ["sleep", "3600"] }] } }));

  const nc = await connect({ ...natsOptions(cp.nats.url ), servers: cp.nats.url });
  const watch = { js: nc.jetstream(), jsm: await nc.jetstreamManager() };
  const informer = new Informer<coreV1Pod.Pod>({ client, watch, kind: pods, namespace: "default" });
  const created = new Map<string, number>();
  const running = new Map<string, number>();
  const seen = (p: coreV1Pod.Pod): void => {
    const name = p.metadata!.name;
    if (p.status?.phase === "Running" && !running.has(name)) running.set(name, performance.now());
  };
  informer.addEventHandler({ onAdd: seen, onUpdate: (_, p) => seen(p) });
  const stop = new AbortController();
  const informerDone = informer.run(stop.signal);
  await informer.waitForSync();
  await waitFor(() => running.has("warm"), { timeoutMs: 60_000, message: "the warm-up pod Running" });

  benchProgress(`creating ${PODS} pods on one real node`);
  const cpu0 = await processCpuSeconds(kubelet.pid);
  const [machine0, runtime0, metrics0] = await Promise.all([machineCpuSeconds(), runtimeCpuSeconds(node.containerd.dir), kubelet.metrics()]);
  const load0 = loadavg()[0]!;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: PODS }, async (_, i) => {
      const name = `p-${i}`;
      created.set(name, performance.now());
      await client.create(pods, coreV1Pod.Pod.fromPartial({
        metadata: { name, namespace: "default" },
        spec: { nodeName: NODE, terminationGracePeriodSeconds: 1, containers: [{ name: "c", image: BUSYBOX_IMAGE, command: ["sleep", "3600"] }] },
      }));
    }),
  );
  await waitFor(() => [...created.keys()].every((n) => running.has(n)), {
    timeoutMs: 300_000,
    intervalMs: 50,
    message: `${PODS} pods Running`,
  });
  const wall = (performance.now() - t0) / 1000;
  const cpu = (await processCpuSeconds(kubelet.pid)) - cpu0;
  const machine = (await machineCpuSeconds()) - machine0;
  const runtime1 = await runtimeCpuSeconds(node.containerd.dir);
  const runtimeCpu = { containerd: runtime1.containerd - runtime0.containerd, shims: runtime1.shims - runtime0.shims };
  const load1 = loadavg()[0]!;
  const metrics1 = await kubelet.metrics();
  const sums0 = metricSums(metrics0, `${PHASE}_sum`, {}, "phase");
  const sums1 = metricSums(metrics1, `${PHASE}_sum`, {}, "phase");
  const ops0 = metricSums(metrics0, "kubelet_runtime_operations_duration_seconds_count", {}, "operation_type");
  const ops1 = metricSums(metrics1, "kubelet_runtime_operations_duration_seconds_count", {}, "operation_type");
  const criCalls = Object.fromEntries(Object.keys(ops1).map((k) => [k, (ops1[k]! - (ops0[k] ?? 0)) / PODS]).filter(([, v]) => (v as number) > 0));
  const phases = Object.fromEntries(Object.keys(sums1).map((k) => [k, ((sums1[k]! - (sums0[k] ?? 0)) / PODS) * 1000]));
  const latencies = Float64Array.from([...created].map(([n, t]) => running.get(n)! - t)).sort();
  process.stdout.write(`kubelet pod startup (${PODS} pods, one real node, containerd + runc + CNI, image present):\n`);
  process.stdout.write(`  created → Running seen by watch: p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${latencies[latencies.length - 1]!.toFixed(0)} ms (target p99 ≤ 1000 ms; SLO 5 s)\n`);
  process.stdout.write(`  all ${PODS} Running after ${wall.toFixed(2)} s; kubelet CPU ${cpu.toFixed(2)} s (${((cpu / wall) * 100).toFixed(0)}% of one core)\n`);
  process.stdout.write(`  runtime CPU: containerd (with CNI plugins) ${runtimeCpu.containerd.toFixed(2)} s, shims (with runc) ${runtimeCpu.shims.toFixed(2)} s; whole machine busy ${machine.toFixed(2)} s of ${(wall * availableParallelism()).toFixed(2)} s (${availableParallelism()} cores); load average ${load0.toFixed(2)} → ${load1.toFixed(2)}\n`);
  const order = ["worker_start", "volumes", "sandbox", "image", "container_create", "container_start", "runtime_state", "status_write"];
  const known = order.filter((k) => k in phases);
  const inKubelet = known.reduce((a, k) => a + phases[k]!, 0);
  const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
  process.stdout.write(`  where a start goes (mean per pod, ms): ${known.map((k) => `${k} ${phases[k]!.toFixed(0)}`).join(", ")}; kubelet total ${inKubelet.toFixed(0)} of ${mean.toFixed(0)} mean created → Running (the rest: create call, watch delivery both ways)\n`);
  process.stdout.write(`  CRI runtime calls per pod (the PLEG relist and stats included): ${Object.entries(criCalls).map(([k, v]) => `${k} ${(v as number).toFixed(1)}`).join(", ")}\n`);
  await mkdir(dirname(OUTPUT), { recursive: true });
  await writeFile(
    OUTPUT,
    `${JSON.stringify({ pods: PODS, node: process.version, cores: availableParallelism(), finishedAt: new Date().toISOString(), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: latencies[latencies.length - 1], meanMs: mean, wallS: wall, kubeletCpuS: cpu, runtimeCpuS: runtimeCpu, criCallsPerPod: criCalls, machineBusyS: machine, loadAverage: [load0, load1], phasesMeanMs: phases }, null, 2)}\n`,
  );
  stop.abort();
  await informerDone.catch(() => undefined);
  await nc.close();
  client.close();
} finally {
  for (const c of cleanups) await c().catch(() => undefined);
}
