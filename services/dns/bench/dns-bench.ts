// `make bench` (dns): queries/s and p50/p99 latency of the dns service (as a process) under N concurrent UDP clients on loopback.
import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import dnsPacket from "dns-packet";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { benchProgress, clientTls, freePort, metricSamples, parseBenchScale, percentile, processCpuSeconds, processRssMiB, runConcurrently, serviceEntry, startControlPlane, startServiceProcess, waitFor } from "@kubeplane/testing";

/** Multiplies the Service count and the run time; KP_BENCH_SCALE=0.1 is a quick smoke run. */
const SCALE = parseBenchScale(process.env.KP_BENCH_SCALE);
const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE));
const SERVICES = scaled(1000);
/** One in HEADLESS_EVERY Services is headless with ENDPOINTS ready endpoints (10 A records per answer). */
const HEADLESS_EVERY = 10;
const ENDPOINTS = 10;
const CLIENTS = 64;
const RUN_MS = Math.max(2000, Math.round(10_000 * Math.min(1, SCALE)));
const QUERY_TIMEOUT_MS = 1000;
const OUTPUT = resolve(".local/bench/dns.json");
const ns = "dns-bench";
const zone = "cluster.local";

const namespaces = kindFor("v1", "Namespace") as KindInfo;
const services = kindFor("v1", "Service") as KindInfo;
const slices = kindFor("discovery.k8s.io/v1", "EndpointSlice") as KindInfo;

const headless = (i: number): boolean => i % HEADLESS_EVERY === 0;

async function loadCluster(client: ApiClient): Promise<void> {
  await client.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  const seconds = await runConcurrently("services", SERVICES, 32, async (i) => {
    const name = `svc-${i}`;
    const spec = { ports: [{ name: "http", port: 80, targetPort: 8080 }], selector: { app: name }, ...(headless(i) ? { clusterIP: "None" } : {}) };
    await client.json.create(services, { apiVersion: "v1", kind: "Service", metadata: { namespace: ns, name }, spec });
    if (!headless(i)) return;
    await client.json.create(slices, {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { namespace: ns, name: `${name}-x`, labels: { "kubernetes.io/service-name": name } },
      addressType: "IPv4",
      endpoints: Array.from({ length: ENDPOINTS }, (_, e) => ({ addresses: [`10.${100 + (i >> 8)}.${i & 255}.${e + 1}`], conditions: { ready: true } })),
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    });
  });
  benchProgress(`${SERVICES} Services created in ${seconds.toFixed(1)} s`);
}

/** The query mix: 80% A of ClusterIP Services, 10% SRV, 10% A of headless Services (10 answers). */
function queryMix(): { name: string; bytes: Buffer }[] {
  const out: { name: string; bytes: Buffer }[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const svc = `svc-${i}.${ns}.svc.${zone}`;
    const [name, type] = headless(i) ? [svc, "A" as const] : i % HEADLESS_EVERY === 5 ? [`_http._tcp.${svc}`, "SRV" as const] : [svc, "A" as const];
    out.push({ name, bytes: dnsPacket.encode({ type: "query", id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: "IN" }] }) });
  }
  return out;
}

interface ClientResult {
  latenciesMs: number[];
  timeouts: number;
  errors: number;
}

/** One closed-loop client: a query, wait for its answer (or a timeout), the next, until `deadline`. */
async function runClient(port: number, mix: { bytes: Buffer }[], deadline: number, seed: number): Promise<ClientResult> {
  const socket: Socket = createSocket("udp4");
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  const result: ClientResult = { latenciesMs: [], timeouts: 0, errors: 0 };
  let id = seed & 0xffff;
  let waiting: ((msg: Buffer | undefined) => void) | undefined;
  socket.on("message", (msg) => {
    if (msg.readUInt16BE(0) === id) waiting?.(msg);
  });
  let n = seed;
  while (performance.now() < deadline) {
    const q = mix[(n = (n * 1103515245 + 12345) & 0x7fffffff) % mix.length]!;
    id = (id + 1) & 0xffff;
    // A copy per send: the mix is shared by every client and dgram reads the buffer after send() returns.
    const bytes = Buffer.from(q.bytes);
    bytes.writeUInt16BE(id, 0);
    const started = performance.now();
    const answer = await new Promise<Buffer | undefined>((resolveAnswer) => {
      const timer = setTimeout(() => resolveAnswer(undefined), QUERY_TIMEOUT_MS);
      waiting = (msg) => {
        clearTimeout(timer);
        resolveAnswer(msg);
      };
      socket.send(bytes, port, "127.0.0.1");
    });
    if (!answer) result.timeouts++;
    else if ((answer[3]! & 0x0f) !== 0 || answer.readUInt16BE(6) === 0) result.errors++;
    else result.latenciesMs.push(performance.now() - started);
  }
  await new Promise<void>((r) => socket.close(() => r()));
  return result;
}

async function main(): Promise<void> {
  benchProgress(`scale ${SCALE}: ${SERVICES} Services, ${CLIENTS} UDP clients for ${RUN_MS / 1000} s`);
  const cp = await startControlPlane();
  const client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
  let dns: Awaited<ReturnType<typeof startServiceProcess>> | undefined;
  try {
    await loadCluster(client);
    const port = await freePort();
    const startedAt = performance.now();
    dns = await startServiceProcess({
      entry: serviceEntry("dns"),
      flags: { apiserver: cp.apiserver.grpcAddress, "nats-url": cp.nats.url, "dns-listen": `127.0.0.1:${port}` },
    });
    const running = dns;
    await waitFor(async () => metricSamples(await running.metrics(), "coredns_kubernetes_services")[0]?.value === SERVICES, {
      timeoutMs: 60_000,
      message: `${SERVICES} Services in the DNS index`,
    });
    const syncSeconds = (performance.now() - startedAt) / 1000;
    const records = metricSamples(await dns.metrics(), "coredns_kubernetes_dns_records")[0]?.value ?? NaN;
    benchProgress(`dns ready with ${records} records ${syncSeconds.toFixed(1)} s after start; loading`);
    const mix = queryMix();
    const serverTime = async (): Promise<[number, number]> => {
      const text = await running.metrics();
      const sum = metricSamples(text, "coredns_dns_request_duration_seconds_sum").reduce((a, x) => a + x.value, 0);
      return [sum, metricSamples(text, "coredns_dns_request_duration_seconds_count").reduce((a, x) => a + x.value, 0)];
    };
    const [sumBefore, countBefore] = await serverTime();
    const cpuBefore = await processCpuSeconds(dns.pid);
    const began = performance.now();
    const deadline = began + RUN_MS;
    const results = await Promise.all(Array.from({ length: CLIENTS }, (_, c) => runClient(port, mix, deadline, c * 7919 + 1)));
    const seconds = (performance.now() - began) / 1000;
    const cpuPercent = (100 * ((await processCpuSeconds(dns.pid)) - cpuBefore)) / seconds;
    const [sumAfter, countAfter] = await serverTime();
    const all = Float64Array.from(results.flatMap((r) => r.latenciesMs)).sort();
    const figures = {
      services: SERVICES,
      records,
      clients: CLIENTS,
      seconds: Number(seconds.toFixed(2)),
      queriesPerSec: Math.round(all.length / seconds),
      p50Ms: Number(percentile(all, 50).toFixed(3)),
      p99Ms: Number(percentile(all, 99).toFixed(3)),
      maxMs: Number((all[all.length - 1] ?? NaN).toFixed(3)),
      timeouts: results.reduce((a, r) => a + r.timeouts, 0),
      errors: results.reduce((a, r) => a + r.errors, 0),
      /** Receipt to response inside the server (coredns_dns_request_duration_seconds), the rest is the kernel and the load generator. */
      serverMeanUs: Math.round((1e6 * (sumAfter - sumBefore)) / Math.max(1, countAfter - countBefore)),
      dnsCpuPercentOfOneCore: Math.round(cpuPercent),
      dnsRssMiB: Math.round(await processRssMiB(dns.pid)),
      indexSyncSeconds: Number(syncSeconds.toFixed(2)),
    };
    await mkdir(dirname(OUTPUT), { recursive: true });
    await writeFile(OUTPUT, `${JSON.stringify(figures, null, 2)}\n`);
    process.stdout.write(
      `dns: ${figures.queriesPerSec} queries/s over UDP from ${CLIENTS} clients, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, max ${figures.maxMs} ms ` +
        `(server-side mean ${figures.serverMeanUs} µs; ${SERVICES} Services, ${records} records; ${figures.timeouts} timeouts, ${figures.errors} errors; dns CPU ${figures.dnsCpuPercentOfOneCore}% of a core, RSS ${figures.dnsRssMiB} MiB)\n`,
    );
    if (figures.timeouts > 0 || figures.errors > 0) process.exitCode = 1;
  } finally {
    await dns?.kill();
    client.close();
    await cp.stop();
  }
}

await main();
