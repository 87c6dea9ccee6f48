// `make bench` (dns): queries/s and p50/p99 under dnsperf of the dns service (as a process) and, in the same run, of dnsmasq with the same names.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { benchProgress, clientTls, freePort, metricSamples, parseBenchScale, processCpuSeconds, processRssMiB, runConcurrently, serviceEntry, startControlPlane, startServiceProcess, waitFor } from "@kubeplane/testing";
import { startDnsmasq, type PeerRecords } from "./dnsmasq-peer.js";
import { dnsperf, type DnsperfResult } from "./dnsperf.js";

/** Multiplies the Service count and the run time; KP_BENCH_SCALE=0.1 is a quick smoke run. */
const SCALE = parseBenchScale(process.env.KP_BENCH_SCALE);
const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE));
const SERVICES = scaled(1000);
/** One in HEADLESS_EVERY Services is headless with ENDPOINTS ready endpoints (10 A records per answer). */
const HEADLESS_EVERY = 10;
const ENDPOINTS = 10;
const CLIENTS = 64;
const RUN_MS = Math.max(2000, Math.round(10_000 * Math.min(1, SCALE)));
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

/** The query mix, as a dnsperf data file: 80% A of ClusterIP Services, 10% SRV, 10% A of headless Services (10 answers). */
function queryMix(): string {
  const out: string[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const svc = `svc-${i}.${ns}.svc.${zone}`;
    out.push(headless(i) ? `${svc} A` : i % HEADLESS_EVERY === 5 ? `_http._tcp.${svc} SRV` : `${svc} A`);
  }
  return `${out.join("\n")}\n`;
}

/** The records dnsmasq is given: the same names and addresses the dns service answers from the cluster. */
async function peerRecords(client: ApiClient): Promise<PeerRecords> {
  const listed = await client.json.list(services, { namespace: ns });
  const clusterIp = new Map(listed.items.map((s) => [String((s as { metadata?: { name?: string } }).metadata?.name), String((s as { spec?: { clusterIP?: string } }).spec?.clusterIP ?? "")]));
  const records: PeerRecords = { a: [], srv: [] };
  for (let i = 0; i < SERVICES; i++) {
    const name = `svc-${i}.${ns}.svc.${zone}`;
    if (headless(i)) for (let e = 0; e < ENDPOINTS; e++) records.a.push({ name, address: `10.${100 + (i >> 8)}.${i & 255}.${e + 1}` });
    else records.a.push({ name, address: clusterIp.get(`svc-${i}`) ?? "" });
    if (!headless(i) && i % HEADLESS_EVERY === 5) records.srv.push({ name: `_http._tcp.${name}`, target: name, port: 80 });
  }
  return records;
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
    const dir = await mkdtemp(join(tmpdir(), "kp-dns-bench-"));
    try {
      const mixFile = join(dir, "queries.txt");
      await writeFile(mixFile, queryMix());
      const peerPort = await freePort();
      const peer = await startDnsmasq(dir, peerPort, zone, 30, await peerRecords(client));
      try {
        const seconds = RUN_MS / 1000;
        benchProgress(`dnsperf -c ${CLIENTS} -q ${CLIENTS} -l ${seconds} against the dns service, then against dnsmasq (same names, same query mix)`);
        const loadBefore = loadavg()[0]!;
        const [dnsCpuBefore, dnsRun] = [await processCpuSeconds(running.pid), await dnsperf(port, mixFile, CLIENTS, seconds)];
        const dnsCpu = (await processCpuSeconds(running.pid)) - dnsCpuBefore;
        const peerCpuBefore = await peer.cpuSeconds();
        const peerRun = await dnsperf(peerPort, mixFile, CLIENTS, seconds);
        const peerCpu = (await peer.cpuSeconds()) - peerCpuBefore;
        const loadAfter = loadavg()[0]!;
        // Each side ran a plain run of `seconds` and a verbose one of half that: CPU per query over both.
        const perQueryUs = (cpu: number, run: DnsperfResult): number => Math.round((1e6 * cpu) / (run.queriesPerSec * seconds * 1.5));
        const figures = {
          services: SERVICES,
          records,
          clients: CLIENTS,
          seconds,
          dns: { ...dnsRun, cpuUsPerQuery: perQueryUs(dnsCpu, dnsRun), rssMiB: Math.round(await processRssMiB(running.pid)), indexSyncSeconds: Number(syncSeconds.toFixed(2)) },
          dnsmasq: { ...peerRun, cpuUsPerQuery: perQueryUs(peerCpu, peerRun) },
          ratio: { queriesPerSec: Number((dnsRun.queriesPerSec / peerRun.queriesPerSec).toFixed(2)) },
          targets: { queriesPerSecRatioAtLeast: 0.5, p99MsAtMost: 2 },
          /** The 1-minute load average before and after the measured runs: the machine is shared, figures under load are skewed. */
          loadAverage: [Number(loadBefore.toFixed(2)), Number(loadAfter.toFixed(2))],
        };
        await mkdir(dirname(OUTPUT), { recursive: true });
        await writeFile(OUTPUT, `${JSON.stringify(figures, null, 2)}\n`);
        process.stdout.write(
          `dns: dnsperf ${CLIENTS} clients, ${SERVICES} Services (${records} records): dns ${dnsRun.queriesPerSec} q/s p50 ${dnsRun.p50Ms} ms p99 ${dnsRun.p99Ms} ms ${figures.dns.cpuUsPerQuery} µs CPU/query; ` +
            `dnsmasq ${peerRun.queriesPerSec} q/s p50 ${peerRun.p50Ms} ms p99 ${peerRun.p99Ms} ms ${figures.dnsmasq.cpuUsPerQuery} µs CPU/query; ` +
            `ratio ${figures.ratio.queriesPerSec}× q/s (target ≥ 0.5), p99 ${dnsRun.p99Ms} ms (target ≤ 2 ms); lost ${dnsRun.lost} / ${peerRun.lost}; load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}\n`,
        );
      } finally {
        await peer.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  } finally {
    await dns?.kill();
    client.close();
    await cp.stop();
  }
}

await main();
