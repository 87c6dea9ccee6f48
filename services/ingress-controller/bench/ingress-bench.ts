// `make bench` (ingress-controller): req/s and p50/p99 at concurrency 32 through the ingress data plane and, interleaved in the same run, through a plain nginx on the same backends.
import { once } from "node:events";
import { request, type IncomingMessage } from "node:http";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { benchProgress, clientTls, freePort, metricSamples, parseBenchScale, processCpuSeconds, serviceEntry, startControlPlane, startServiceProcess, waitFor, type ServiceProcess } from "@kubeplane/testing";
import { apacheBench, type AbResult } from "./apache-bench.js";
import { configDifferences, type ConfigDifference } from "./config-equivalence.js";
import { checkPinned, cpuJiffies, cpuPlan, pinProcessTree, type CpuPlan } from "./cpu-pinning.js";
import { routeDirectives } from "./nginx-directives.js";
import { startNginx, treeCpuSeconds, type NginxInstance } from "./nginx-instance.js";
import { peerConfig } from "./peer-config.js";
import { formatSpread, ratio, spread } from "./round-stats.js";

/** Multiplies the request counts; KP_BENCH_SCALE=0.1 is a quick smoke run. */
const SCALE = parseBenchScale(process.env.KP_BENCH_SCALE);
/** Per round: long enough (≈ 1 s at 20k req/s) for /proc CPU ticks (10 ms) to be a small error. */
const REQUESTS = Math.max(500, Math.round(20_000 * SCALE));
const CONCURRENCY = 32;
/** Measured pairs of rounds (peer, then ingress), after one warm-up round of each; the medians over them are the figures. */
const PAIRS = 7;
const BACKENDS = 3;
const HOST = "web.example";
const OUTPUT = resolve(".local/bench/ingress.json");
const ns = "ingress-bench";
/** How the ingress's nginx counts requests (`--nginx-request-metrics`): the default, or KP_INGRESS_BENCH_METRICS=lua. */
const REQUEST_METRICS = process.env.KP_INGRESS_BENCH_METRICS ?? "access-log";

/** One side's rounds and the CPU each took: its data plane (nginx, plus the controller for the ingress) and the shared backends. */
interface Side {
  rounds: AbResult[];
  cpuSeconds: number[];
  backendCpuSeconds: number[];
  /** Per round, the busy share of the load generator's and the data planes' CPUs (/proc/stat, every process on them). */
  loadCpuBusy: number[];
  dataCpuBusy: number[];
}

const newSide = (): Side => ({ rounds: [], cpuSeconds: [], backendCpuSeconds: [], loadCpuBusy: [], dataCpuBusy: [] });

/** The status of one GET / with Host: HOST (fetch cannot set Host). */
async function statusOf(port: number): Promise<number> {
  const req = request({ host: "127.0.0.1", port, path: "/", headers: { host: HOST }, agent: false });
  req.end();
  const [res] = (await once(req, "response")) as [IncomingMessage];
  res.resume();
  return res.statusCode ?? 0;
}

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

/** One round of `ab` through `port`, with the CPU the side's data plane (`cpu`) and the backends spent in it. */
async function measure(side: Side, port: number, cpu: () => Promise<number>, backends: NginxInstance, cpus: CpuPlan): Promise<void> {
  const [before, backendBefore] = [await cpu(), await backends.cpuSeconds()];
  const [loadBefore, dataBefore] = [await cpuJiffies(cpus.loadGenerator), await cpuJiffies(cpus.dataPlane)];
  const result = await apacheBench(`http://127.0.0.1:${port}/`, HOST, CONCURRENCY, REQUESTS, cpus.loadGenerator);
  const [loadAfter, dataAfter] = [await cpuJiffies(cpus.loadGenerator), await cpuJiffies(cpus.dataPlane)];
  side.cpuSeconds.push((await cpu()) - before);
  side.backendCpuSeconds.push((await backends.cpuSeconds()) - backendBefore);
  side.loadCpuBusy.push((loadAfter.busy - loadBefore.busy) / (loadAfter.total - loadBefore.total));
  side.dataCpuBusy.push((dataAfter.busy - dataBefore.busy) / (dataAfter.total - dataBefore.total));
  if (result.failed > 0 || result.non2xx > 0) throw new Error(`ab via :${port}: ${result.failed} failed, ${result.non2xx} non-2xx`);
  side.rounds.push(result);
}

const sum = (xs: number[]): number => xs.reduce((a, x) => a + x, 0);

/** A side's figures over its measured rounds (the warm-up round is not in `side`). */
function summary(side: Side) {
  const rps = spread(side.rounds.map((r) => r.requestsPerSec));
  const p50 = spread(side.rounds.map((r) => r.p50Ms), 2);
  const p99 = spread(side.rounds.map((r) => r.p99Ms), 2);
  const seconds = sum(side.rounds.map((r) => r.seconds));
  return {
    requestsPerSec: rps.median,
    p50Ms: p50.median,
    p99Ms: p99.median,
    spread: { requestsPerSec: rps, p50Ms: p50, p99Ms: p99 },
    cpuUsPerRequest: Number(((1e6 * sum(side.cpuSeconds)) / (REQUESTS * side.rounds.length)).toFixed(1)),
    /** CPU of the data-plane CPU's processes (this side's proxy and the backends) per second of the rounds: near 1 when pinned, the data plane was the limit; well below, the load generator was. */
    dataPlaneCpuBusy: Number(((sum(side.cpuSeconds) + sum(side.backendCpuSeconds)) / seconds).toFixed(2)),
    /** Median busy share over the rounds of the load generator's CPU and of the data planes' CPU (everything on them, kernel included; both "any" when unpinned). */
    cpuBusy: { loadGenerator: spread(side.loadCpuBusy, 2).median, dataPlane: spread(side.dataCpuBusy, 2).median },
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

/** Diffs the two running configurations; throws on a difference `config-equivalence.ts` does not explain. */
async function checkEquivalence(ingressConf: string, ingressPort: number, peer: NginxInstance, peerPort: number): Promise<ConfigDifference[]> {
  const ours = routeDirectives(await readFile(ingressConf, "utf8"), HOST, ingressPort);
  const theirs = routeDirectives(await readFile(peer.configPath, "utf8"), HOST, peerPort);
  const differences = configDifferences(ours, theirs);
  const unexplained = differences.filter((d) => d.why === "");
  if (unexplained.length > 0) {
    const list = unexplained.map((d) => `${d.context} ${d.directive}: ingress ${JSON.stringify(d.ingress)}, peer ${JSON.stringify(d.peer)}`).join("; ");
    throw new Error(`the peer's nginx configuration differs from the ingress's on the data path: ${list} — align peerConfig or explain it in config-equivalence.ts`);
  }
  return differences;
}

const reloads = async (controller: ServiceProcess): Promise<number> =>
  metricSamples(await controller.metrics(), "ingress_controller_config_reloads_total").reduce((a, s) => a + s.value, 0);

async function runBench(dir: string, ports: number[], peerPort: number, started: NginxInstance[]): Promise<void> {
  const cpus = await cpuPlan(process.env.KP_INGRESS_BENCH_CPUS);
  let controller: ServiceProcess | undefined;
  benchProgress("starting the backends (one nginx, three ports answering 200) and the peer (plain nginx, upstream keep-alive)");
  const backends = await startNginx(join(dir, "backends"), `  server {\n${ports.map((p) => `    listen 127.0.0.1:${p};`).join("\n")}\n    location / { return 200 "ok\\n"; }\n  }`, cpus.dataPlane);
  started.push(backends);
  const peer = await startNginx(join(dir, "peer"), peerConfig(ports, peerPort), cpus.dataPlane);
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
        "nginx-request-metrics": REQUEST_METRICS,
      },
    });
    const running = controller;
    await waitFor(async () => (await statusOf(httpPort)) === 200, { timeoutMs: 10_000, message: "the route" });
    const nginxPid = Number((await readFile(join(dir, "ingress", "nginx.pid"), "utf8")).trim());
    // The controller counts every request from nginx's access log: part of the ingress's data plane, so on its CPU.
    if (cpus.dataPlane !== undefined) for (const pid of [running.pid, nginxPid]) await pinProcessTree(pid, cpus.dataPlane);
    const differences = await checkEquivalence(join(dir, "ingress", "nginx.conf"), httpPort, peer, peerPort);
    // The data plane's CPU: nginx (master and worker) plus the controller, which counts every request from the access log.
    const ingressCpu = async (): Promise<number> => (await treeCpuSeconds(nginxPid)) + (await processCpuSeconds(running.pid));
    const controllerSeconds: number[] = [];
    const [nginxSide, ingressSide] = [newSide(), newSide()];
    benchProgress(`warm-up: ab -c ${CONCURRENCY} -n ${REQUESTS} through plain nginx, then through the ingress (not counted)`);
    await measure(newSide(), peerPort, () => peer.cpuSeconds(), backends, cpus);
    await measure(newSide(), httpPort, ingressCpu, backends, cpus);
    const reloadsBefore = await reloads(running);
    const loadBefore = loadavg()[0]!;
    for (let pair = 1; pair <= PAIRS; pair++) {
      benchProgress(`pair ${pair}/${PAIRS}: ab -c ${CONCURRENCY} -n ${REQUESTS} through plain nginx, then through the ingress`);
      await measure(nginxSide, peerPort, () => peer.cpuSeconds(), backends, cpus);
      const controllerBefore = await processCpuSeconds(running.pid);
      await measure(ingressSide, httpPort, ingressCpu, backends, cpus);
      controllerSeconds.push((await processCpuSeconds(running.pid)) - controllerBefore);
    }
    const loadAfter = loadavg()[0]!;
    // After the rounds, so a process that moved (a reload's new worker) is checked too.
    if (cpus.dataPlane !== undefined) await checkPinned([backends.pid, peer.pid, nginxPid, running.pid], cpus.dataPlane);
    const metricsText = await running.metrics();
    const reloadsDuringRounds = (await reloads(running)) - reloadsBefore;
    const counted = metricSamples(metricsText, "ingress_controller_requests_total", { ingress: "web", status: "200" })[0]?.value ?? 0;
    const [nginxFigures, ingressFigures] = [summary(nginxSide), summary(ingressSide)];
    const pairRatios = ingressSide.rounds.map((r, i) => r.requestsPerSec / nginxSide.rounds[i]!.requestsPerSec);
    const figures = {
      concurrency: CONCURRENCY,
      requestsPerRound: REQUESTS,
      /** Measured (peer, ingress) pairs after one warm-up round each; figures are medians over them. */
      pairs: PAIRS,
      backends: BACKENDS,
      /** How the ingress counted its requests (--nginx-request-metrics). */
      requestMetrics: REQUEST_METRICS,
      /** taskset CPU lists: `ab` on one, both data planes (each nginx, the backends, the ingress's controller) on another. */
      cpus: { loadGenerator: cpus.loadGenerator ?? "any", dataPlane: cpus.dataPlane ?? "any" },
      nginx: nginxFigures,
      ingress: {
        ...ingressFigures,
        /** Warm-up + measured rounds + the readiness probe, if every request was counted. */
        requestsCountedInMetrics: counted,
        /** Of cpuUsPerRequest, what the controller (Node: informers, access log) spent; the rest is nginx. */
        controllerCpuUsPerRequest: Number(((1e6 * sum(controllerSeconds)) / (REQUESTS * PAIRS)).toFixed(2)),
        /** nginx reloads while the rounds ran (a reload would put two worker generations on the data CPU). */
        reloadsDuringRounds,
      },
      ratio: {
        requestsPerSec: ratio(ingressFigures.requestsPerSec, nginxFigures.requestsPerSec),
        p99: ratio(ingressFigures.p99Ms, nginxFigures.p99Ms),
        cpuPerRequest: ratio(ingressFigures.cpuUsPerRequest, nginxFigures.cpuUsPerRequest),
        /** ingress / peer req/s of each pair (the rounds run back to back). */
        requestsPerSecPairs: spread(pairRatios, 2),
      },
      targets: { requestsPerSecAtLeast: 0.9, p99AtMost: 1.5 },
      /** Where the two nginx configurations differ on the data path, and why (config-equivalence.ts). */
      configDifferences: differences.map((d) => ({ context: d.context, directive: d.directive, ingress: d.ingress, peer: d.peer, why: d.why })),
      /** The 1-minute load average before and after the measured rounds: the machine is shared, figures under load are skewed. */
      loadAverage: [Number(loadBefore.toFixed(2)), Number(loadAfter.toFixed(2))],
    };
    await mkdir(dirname(OUTPUT), { recursive: true });
    await writeFile(OUTPUT, `${JSON.stringify(figures, null, 2)}\n`);
    const side = (f: typeof nginxFigures): string =>
      `${formatSpread(f.spread.requestsPerSec, " req/s")} p50 ${f.p50Ms} ms p99 ${formatSpread(f.spread.p99Ms, " ms")} ${f.cpuUsPerRequest} µs CPU/req, CPUs busy ${f.cpuBusy.loadGenerator}/${f.cpuBusy.dataPlane}`;
    process.stdout.write(
      `ingress-controller (request metrics: ${REQUEST_METRICS}): ab -c ${CONCURRENCY} ×${REQUESTS}, ${PAIRS} interleaved pairs after a warm-up, medians (min–max), ${BACKENDS} backends, ab on CPU ${figures.cpus.loadGenerator}, data planes on CPU ${figures.cpus.dataPlane} (CPUs busy: ab's/data planes'): ` +
        `ingress ${side(ingressFigures)} (controller ${figures.ingress.controllerCpuUsPerRequest} µs/req); plain nginx ${side(nginxFigures)}; ` +
        `ratio of medians ${figures.ratio.requestsPerSec}× req/s (target ≥ 0.9; pairs ${figures.ratio.requestsPerSecPairs.min}–${figures.ratio.requestsPerSecPairs.max}), ${figures.ratio.p99}× p99 (target ≤ 1.5), ${figures.ratio.cpuPerRequest}× CPU; ` +
        `${reloadsDuringRounds} reloads; load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}\n`,
    );
  } finally {
    await controller?.kill();
    client.close();
    await cp.stop();
  }
}

await main();
