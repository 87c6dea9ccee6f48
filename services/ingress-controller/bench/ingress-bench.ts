// `make bench` (ingress-controller): proxy overhead (p50/p99 of N sequential GETs, direct vs through the proxy) and req/s at concurrency C, on loopback.
import { once } from "node:events";
import { Agent, createServer, request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { benchProgress, clientTls, freePort, parseBenchScale, percentile, processCpuSeconds, serviceEntry, startControlPlane, startServiceProcess, waitFor } from "@kubeplane/testing";

/** Multiplies the request counts; KP_BENCH_SCALE=0.1 is a quick smoke run. */
const SCALE = parseBenchScale(process.env.KP_BENCH_SCALE);
const REQUESTS = Math.max(10, Math.round(1000 * SCALE));
const CONCURRENCY = 32;
const ns = "ingress-bench";

/** GETs `/` from 127.0.0.1:port with `Host: host` over a keep-alive `agent`; resolves the latency in ms. */
async function get(agent: Agent, port: number, host: string): Promise<number> {
  const started = performance.now();
  const req = request({ host: "127.0.0.1", port, path: "/", headers: { host }, agent });
  req.end();
  const [res] = (await once(req, "response")) as [IncomingMessage];
  res.resume();
  await once(res, "end");
  if (res.statusCode !== 200) throw new Error(`GET via :${port} answered ${res.statusCode}`);
  return performance.now() - started;
}

async function sequential(port: number, host: string): Promise<Float64Array> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 50; i++) await get(agent, port, host); // warm-up: connections, JIT
    const out = new Float64Array(REQUESTS);
    for (let i = 0; i < REQUESTS; i++) out[i] = await get(agent, port, host);
    return out.sort();
  } finally {
    agent.destroy();
  }
}

async function throughput(port: number, host: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const total = REQUESTS * 5;
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < total) await get(agent, port, host);
    }));
    return total / ((performance.now() - started) / 1000);
  } finally {
    agent.destroy();
  }
}

async function main(): Promise<void> {
  const backend = createServer((_req, res) => res.end("ok\n"));
  backend.listen(0, "127.0.0.1");
  await once(backend, "listening");
  const backendPort = (backend.address() as AddressInfo).port;
  benchProgress("starting the control plane");
  const cp = await startControlPlane();
  const client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
  let controller: Awaited<ReturnType<typeof startServiceProcess>> | undefined;
  try {
    await client.json.create(kindFor("v1", "Namespace") as KindInfo, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await client.json.create(kindFor("v1", "Service") as KindInfo, { apiVersion: "v1", kind: "Service", metadata: { namespace: ns, name: "web" }, spec: { ports: [{ name: "http", port: 80 }] } });
    await client.json.create(kindFor("discovery.k8s.io/v1", "EndpointSlice") as KindInfo, {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { namespace: ns, name: "web-1", labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true } }],
      ports: [{ name: "http", port: backendPort, protocol: "TCP" }],
    });
    const rule = { host: "web.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } };
    await client.json.create(kindFor("networking.k8s.io/v1", "Ingress") as KindInfo, {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { namespace: ns, name: "web" },
      spec: { ingressClassName: "kubeplane", rules: [rule] },
    });
    const httpPort = await freePort();
    controller = await startServiceProcess({
      entry: serviceEntry("ingress-controller"),
      flags: { apiserver: cp.apiserver.grpcAddress, "nats-url": cp.nats.url, "proxy-http-listen": `127.0.0.1:${httpPort}`, "proxy-https-listen": "127.0.0.1:0", "publish-address": "127.0.0.1" },
    });
    const probe = new Agent();
    await waitFor(() => get(probe, httpPort, "web.example").then(() => true, () => false), { timeoutMs: 10_000, message: "the route" });
    probe.destroy();
    benchProgress(`${REQUESTS} sequential GETs direct, then through the proxy`);
    const direct = await sequential(backendPort, "web.example");
    const cpuBefore = await processCpuSeconds(controller.pid);
    const proxied = await sequential(httpPort, "web.example");
    const cpuAfter = await processCpuSeconds(controller.pid);
    benchProgress(`${REQUESTS * 5} GETs at concurrency ${CONCURRENCY}`);
    const directRps = await throughput(backendPort, "web.example");
    const cpuBeforeLoad = await processCpuSeconds(controller.pid);
    const proxiedRps = await throughput(httpPort, "web.example");
    const cpuAfterLoad = await processCpuSeconds(controller.pid);
    const ms = (a: Float64Array, p: number): string => percentile(a, p).toFixed(3);
    process.stdout.write(
      `ingress-controller: ${REQUESTS} sequential keep-alive GETs: direct p50 ${ms(direct, 50)} ms p99 ${ms(direct, 99)} ms; ` +
        `proxied p50 ${ms(proxied, 50)} ms p99 ${ms(proxied, 99)} ms; overhead p50 ${(percentile(proxied, 50) - percentile(direct, 50)).toFixed(3)} ms; ` +
        `proxy CPU ${Math.round((1e6 * (cpuAfter - cpuBefore)) / REQUESTS)} µs/request; ` +
        `concurrency ${CONCURRENCY}: direct ${Math.round(directRps)} req/s, proxied ${Math.round(proxiedRps)} req/s, ` +
        `proxy CPU ${Math.round((1e6 * (cpuAfterLoad - cpuBeforeLoad)) / (REQUESTS * 5))} µs/request\n`,
    );
  } finally {
    await controller?.kill();
    client.close();
    await cp.stop();
    backend.closeAllConnections();
    backend.close();
  }
}

await main();
