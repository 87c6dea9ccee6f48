// `make bench` (kubelet, real node): pod startup latency — created → Running as seen by a watch —
// for 50 pods on one kubelet with containerd, runc and CNI, inside a network namespace of its own
// (target p99 ≤ 1 s; the Kubernetes SLO is 5 s). KP_BENCH_SCALE multiplies the pod count.
import { connect } from "nats";
import { coreV1Pod, kindFor, type coreV1Node, type KindInfo } from "@kubeplane/api";
import { ApiClient, Informer } from "@kubeplane/client";
import { BUSYBOX_IMAGE, benchProgress, clientTls, enterTestNetns, natsOptions, parseBenchScale, percentile, processCpuSeconds, startControlPlane, startNodeStack, waitFor } from "@kubeplane/testing";

await enterTestNetns(import.meta.url);

const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const nodes = kindFor("v1", "Node") as KindInfo<coreV1Node.Node>;
const PODS = Math.max(1, Math.round(50 * parseBenchScale(process.env.KP_BENCH_SCALE)));
const NODE = "bench-node";

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
  const latencies = Float64Array.from([...created].map(([n, t]) => running.get(n)! - t)).sort();
  process.stdout.write(`kubelet pod startup (${PODS} pods, one real node, containerd + runc + CNI, image present):\n`);
  process.stdout.write(`  created → Running seen by watch: p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${latencies[latencies.length - 1]!.toFixed(0)} ms (target p99 ≤ 1000 ms; SLO 5 s)\n`);
  process.stdout.write(`  all ${PODS} Running after ${wall.toFixed(2)} s; kubelet CPU ${cpu.toFixed(2)} s (${((cpu / wall) * 100).toFixed(0)}% of one core)\n`);
  stop.abort();
  await informerDone.catch(() => undefined);
  await nc.close();
  client.close();
} finally {
  for (const c of cleanups) await c().catch(() => undefined);
}
