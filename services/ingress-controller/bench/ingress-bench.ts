// `make bench` (ingress-controller): req/s and p50/p99 at concurrency 32 through the ingress data plane and, in the same run, through a plain nginx on the same backends.
import { once } from "node:events";
import { request, type IncomingMessage } from "node:http";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { benchProgress, clientTls, freePort, metricSamples, parseBenchScale, processCpuSeconds, serviceEntry, startControlPlane, startServiceProcess, waitFor, type ServiceProcess } from "@kubeplane/testing";
import { apacheBench, type AbResult } from "./apache-bench.js";
import { startNginx, treeCpuSeconds, type NginxInstance } from "./nginx-instance.js";

/** Multiplies the request counts; KP_BENCH_SCALE=0.1 is a quick smoke run. */
const SCALE = parseBenchScale(process.env.KP_BENCH_SCALE);
/** Per round: long enough (≈ 1 s at 20k req/s) for /proc CPU ticks (10 ms) to be a small error. */
const REQUESTS = Math.max(500, Math.round(20_000 * SCALE));
const CONCURRENCY = 32;
/** Rounds of (peer, ingress), alternated so both see the same machine load. */
const ROUNDS = 2;
const BACKENDS = 3;
const HOST = "web.example";
const OUTPUT = resolve(".local/bench/ingress.json");
const ns = "ingress-bench";

/** One side's figures: the sum over rounds of requests and CPU, the rounds' req/s and percentiles. */
interface Side {
  rounds: AbResult[];
  cpuSeconds: number;
}

/** The status of one GET / with Host: HOST (fetch cannot set Host). */
async function statusOf(port: number): Promise<number> {
  const req = request({ host: "127.0.0.1", port, path: "/", headers: { host: HOST }, agent: false });
  req.end();
  const [res] = (await once(req, "response")) as [IncomingMessage];
  res.resume();
  return res.statusCode ?? 0;
}

const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;

async function createCluster(client: ApiClient, ports: number[]): Promise<void> {
  await client.json.create(kindFor("v1", "Namespace") as KindInfo, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await client.json.create(kindFor("v1", "Service") as KindInfo, { apiVersion: "v1", kind: "Service", metadata: { namespace: ns, name: "web" }, spec: { ports: [{ name: "http", port: 80 }] } });
  // One slice per backend port: the three "pods" all listen on 127.0.0.1.
  for (const [i, port] of ports.entries()) {
    await client.json.create(kindFor("discovery.k8s.io/v1", "EndpointSlice") as KindInfo, {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { namespace: ns, name: `web-${i}`, labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true } }],
      ports: [{ name: "http", port, protocol: "TCP" }],
    });
  }
  const rule = { host: HOST, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } };
  await client.json.create(kindFor("networking.k8s.io/v1", "Ingress") as KindInfo, {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { namespace: ns, name: "web" },
    spec: { ingressClassName: "kubeplane", rules: [rule] },
  });
}

async function measure(side: Side, port: number, cpu: () => Promise<number>): Promise<void> {
  const before = await cpu();
  const result = await apacheBench(`http://127.0.0.1:${port}/`, HOST, CONCURRENCY, REQUESTS);
  side.cpuSeconds += (await cpu()) - before;
  if (result.failed > 0 || result.non2xx > 0) throw new Error(`ab via :${port}: ${result.failed} failed, ${result.non2xx} non-2xx`);
  side.rounds.push(result);
}

function summary(side: Side): { requestsPerSec: number; p50Ms: number; p99Ms: number; cpuUsPerRequest: number; rounds: AbResult[] } {
  return {
    requestsPerSec: Math.round(mean(side.rounds.map((r) => r.requestsPerSec))),
    p50Ms: Number(mean(side.rounds.map((r) => r.p50Ms)).toFixed(2)),
    p99Ms: Number(mean(side.rounds.map((r) => r.p99Ms)).toFixed(2)),
    cpuUsPerRequest: Math.round((1e6 * side.cpuSeconds) / (REQUESTS * side.rounds.length)),
    rounds: side.rounds,
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "kp-ingress-bench-"));
  const ports = await Promise.all(Array.from({ length: BACKENDS }, () => freePort()));
  const peerPort = await freePort();
  const started: NginxInstance[] = [];
  try {
    await runBench(dir, ports, peerPort, started);
  } finally {
    await Promise.all(started.map((n) => n.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

async function runBench(dir: string, ports: number[], peerPort: number, started: NginxInstance[]): Promise<void> {
  let controller: ServiceProcess | undefined;
  benchProgress("starting the backends (one nginx, three ports answering 200) and the peer (plain nginx, upstream keep-alive)");
  const backends = await startNginx(join(dir, "backends"), `  server {\n${ports.map((p) => `    listen 127.0.0.1:${p};`).join("\n")}\n    location / { return 200 "ok\\n"; }\n  }`);
  started.push(backends);
  const peer = await startNginx(
    join(dir, "peer"),
    [
      `  upstream web {\n${ports.map((p) => `    server 127.0.0.1:${p};`).join("\n")}\n    keepalive 64;\n  }`,
      `  server {\n    listen 127.0.0.1:${peerPort};\n    location / {\n      proxy_pass http://web;\n      proxy_http_version 1.1;\n      proxy_set_header Connection "";\n      proxy_set_header Host $http_host;\n    }\n  }`,
    ].join("\n"),
  );
  started.push(peer);
  benchProgress("starting the control plane");
  const cp = await startControlPlane();
  const client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
  try {
    await createCluster(client, ports);
    const httpPort = await freePort();
    controller = await startServiceProcess({
      entry: serviceEntry("ingress-controller"),
      flags: {
        apiserver: cp.apiserver.grpcAddress,
        "nats-url": cp.nats.url,
        "proxy-http-listen": `127.0.0.1:${httpPort}`,
        "proxy-https-listen": "127.0.0.1:0",
        "publish-address": "127.0.0.1",
        "state-dir": join(dir, "ingress"),
        "nginx-worker-processes": "1",
      },
    });
    const running = controller;
    await waitFor(async () => (await statusOf(httpPort)) === 200, { timeoutMs: 10_000, message: "the route" });
    const nginxPid = Number((await readFile(join(dir, "ingress", "nginx.pid"), "utf8")).trim());
    // The data plane's CPU: nginx (master and worker) plus the controller, which counts every request from the access log.
    const ingressCpu = async (): Promise<number> => (await treeCpuSeconds(nginxPid)) + (await processCpuSeconds(running.pid));
    let controllerSeconds = 0;
    const nginxSide: Side = { rounds: [], cpuSeconds: 0 };
    const ingressSide: Side = { rounds: [], cpuSeconds: 0 };
    const loadBefore = loadavg()[0]!;
    for (let round = 1; round <= ROUNDS; round++) {
      benchProgress(`round ${round}/${ROUNDS}: ab -c ${CONCURRENCY} -n ${REQUESTS} through plain nginx, then through the ingress`);
      await measure(nginxSide, peerPort, () => peer.cpuSeconds());
      const controllerBefore = await processCpuSeconds(running.pid);
      await measure(ingressSide, httpPort, ingressCpu);
      controllerSeconds += (await processCpuSeconds(running.pid)) - controllerBefore;
    }
    const loadAfter = loadavg()[0]!;
    const counted = metricSamples(await running.metrics(), "ingress_controller_requests_total", { ingress: "web", status: "200" })[0]?.value ?? 0;
    const [nginxFigures, ingressFigures] = [summary(nginxSide), summary(ingressSide)];
    const figures = {
      concurrency: CONCURRENCY,
      requestsPerRound: REQUESTS,
      backends: BACKENDS,
      nginx: nginxFigures,
      ingress: {
        ...ingressFigures,
        requestsCountedInMetrics: counted,
        /** Of cpuUsPerRequest, what the controller (Node: informers, access log) spent; the rest is nginx. */
        controllerCpuUsPerRequest: Math.round((1e6 * controllerSeconds) / (REQUESTS * ROUNDS)),
      },
      ratio: {
        requestsPerSec: Number((ingressFigures.requestsPerSec / nginxFigures.requestsPerSec).toFixed(2)),
        p99: Number((ingressFigures.p99Ms / nginxFigures.p99Ms).toFixed(2)),
        cpuPerRequest: Number((ingressFigures.cpuUsPerRequest / nginxFigures.cpuUsPerRequest).toFixed(2)),
      },
      targets: { requestsPerSecAtLeast: 0.9, p99AtMost: 1.5 },
      /** The 1-minute load average before and after the measured rounds: the machine is shared, figures under load are skewed. */
      loadAverage: [Number(loadBefore.toFixed(2)), Number(loadAfter.toFixed(2))],
    };
    await mkdir(dirname(OUTPUT), { recursive: true });
    await writeFile(OUTPUT, `${JSON.stringify(figures, null, 2)}\n`);
    process.stdout.write(
      `ingress-controller: ab -c ${CONCURRENCY} ×${REQUESTS} ×${ROUNDS} rounds, ${BACKENDS} backends: ` +
        `ingress ${ingressFigures.requestsPerSec} req/s p50 ${ingressFigures.p50Ms} ms p99 ${ingressFigures.p99Ms} ms ${ingressFigures.cpuUsPerRequest} µs CPU/req; ` +
        `plain nginx ${nginxFigures.requestsPerSec} req/s p50 ${nginxFigures.p50Ms} ms p99 ${nginxFigures.p99Ms} ms ${nginxFigures.cpuUsPerRequest} µs CPU/req; ` +
        `ratio ${figures.ratio.requestsPerSec}× req/s (target ≥ 0.9), ${figures.ratio.p99}× p99 (target ≤ 1.5), ${figures.ratio.cpuPerRequest}× CPU; load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}\n`,
    );
  } finally {
    await controller?.kill();
    client.close();
    await cp.stop();
  }
}

await main();
