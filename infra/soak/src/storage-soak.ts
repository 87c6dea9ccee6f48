// `make soak-storage`: 1,000,000 writes (ConfigMap updates + expiring Events) through the apiserver with the compactor on; etcd's database size sampled, defragmented at the end, no alarm allowed.
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { clientTls, serviceEntry, startEtcd, startNats, startServiceProcess, type EtcdCluster, type NatsServer, type ServiceProcess } from "@kubeplane/testing";
import { alarmList, defragment, endpointStatus, mib, type MemberStatus } from "./etcd-status.js";
import { intFromEnv, progress, stringFromEnv } from "./run-support.js";

type Json = Record<string, unknown>;
const configMaps = kindFor("v1", "ConfigMap") as KindInfo;
const events = kindFor("v1", "Event") as KindInfo;
const namespaces = kindFor("v1", "Namespace") as KindInfo;

const WRITES = intFromEnv("SOAK_WRITES", 1_000_000);
const OBJECTS = intFromEnv("SOAK_OBJECTS", 1000);
/** One write in EVENT_EVERY is a new Event (it expires after EVENT_TTL); the rest update the ConfigMaps. */
const EVENT_EVERY = intFromEnv("SOAK_EVENT_EVERY", 10);
const COMPACTION = stringFromEnv("SOAK_COMPACTION_INTERVAL", "30s");
const EVENT_TTL = stringFromEnv("SOAK_EVENT_TTL", "2m");
const CONCURRENCY = intFromEnv("SOAK_CONCURRENCY", 48);
/** Stop writing after this many seconds even if WRITES is not reached (the report projects the rest). */
const MAX_SECONDS = intFromEnv("SOAK_MAX_S", 1500);
const CONNECTIONS = 4;
const SAMPLE_MS = 5000;
/** Each ConfigMap carries this much data, so its old revisions take room until compacted. */
const VALUE = "x".repeat(1024);
const NAMESPACE = "soak-storage";
const OUTPUT = resolve(".local/bench/storage-soak.json");

interface Sample {
  atSeconds: number;
  writes: number;
  dbSize: number;
  dbSizeInUse: number;
  revision: number;
}

const largest = (status: MemberStatus[]): MemberStatus | undefined => status.reduce<MemberStatus | undefined>((a, s) => (a === undefined || s.dbSize > a.dbSize ? s : a), undefined);

async function main(): Promise<void> {
  progress(`storage soak: ${WRITES} writes (1 in ${EVENT_EVERY} a new Event with TTL ${EVENT_TTL}, the rest updates of ${OBJECTS} ConfigMaps of 1 KiB), compaction every ${COMPACTION}`);
  let etcd: EtcdCluster | undefined;
  let nats: NatsServer | undefined;
  let apiserver: ServiceProcess | undefined;
  const clients: ApiClient[] = [];
  try {
    [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
    apiserver = await startServiceProcess({
      entry: serviceEntry("apiserver"),
      flags: { "etcd-endpoints": etcd.endpoints.join(","), "nats-url": nats.url, "compaction-interval": COMPACTION, "event-ttl": EVENT_TTL },
    });
    for (let i = 0; i < CONNECTIONS; i++) clients.push(ApiClient.connect({ ...clientTls(), server: apiserver.grpcAddress, userAgent: `storage-soak-${i}` }));
    const client = clients[0]!;
    await client.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
    const current: Json[] = [];
    for (let i = 0; i < OBJECTS; i++) {
      current.push(await client.json.create(configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: NAMESPACE, name: `cm-${i}` }, data: { v: "0", pad: VALUE } }));
    }
    const endpoints = etcd.endpoints;
    const first = largest(await endpointStatus(endpoints))!;
    const samples: Sample[] = [];
    const began = performance.now();
    let writes = 0;
    let eventsCreated = 0;
    const alarms = new Set<string>();
    const sample = async (): Promise<void> => {
      const s = largest(await endpointStatus(endpoints));
      if (s) samples.push({ atSeconds: (performance.now() - began) / 1000, writes, dbSize: s.dbSize, dbSizeInUse: s.dbSizeInUse, revision: s.revision });
      for (const a of await alarmList(endpoints).catch(() => [])) alarms.add(a);
    };
    await sample();
    let lastWrites = 0;
    const sampler = setInterval(() => {
      void sample().then(() => {
        const s = samples.at(-1)!;
        progress(`${writes}/${WRITES} writes, ${((writes - lastWrites) / (SAMPLE_MS / 1000)).toFixed(0)}/s; etcd db ${mib(s.dbSize)} MiB (in use ${mib(s.dbSizeInUse)}), revision ${s.revision}; load ${loadavg()[0]!.toFixed(1)}`);
        lastWrites = writes;
      });
    }, SAMPLE_MS);
    // Each worker owns the ConfigMaps whose index ≡ worker (mod CONCURRENCY): no two writers race on one object, so no write is a Conflict.
    let next = 0;
    const deadline = began + MAX_SECONDS * 1000;
    const worker = async (w: number): Promise<void> => {
      const mine = current.map((_, i) => i).filter((i) => i % CONCURRENCY === w);
      let turn = 0;
      const c = clients[w % CONNECTIONS]!;
      while (next < WRITES && performance.now() < deadline) {
        const n = next++;
        if (n % EVENT_EVERY === 0 || mine.length === 0) {
          const now = new Date().toISOString();
          await c.json.create(events, {
            apiVersion: "v1",
            kind: "Event",
            metadata: { namespace: NAMESPACE, name: `ev-${n}` },
            involvedObject: { kind: "ConfigMap", namespace: NAMESPACE, name: `cm-${n % OBJECTS}` },
            reason: "SoakWrite",
            message: `write ${n}`,
            type: "Normal",
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
            source: { component: "storage-soak" },
          });
          eventsCreated++;
        } else {
          const i = mine[turn++ % mine.length]!;
          const obj = current[i]!;
          current[i] = await c.json.update(configMaps, { ...obj, data: { v: String(n), pad: VALUE } });
        }
        writes++;
      }
    };
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
    } finally {
      clearInterval(sampler);
    }
    const writeSeconds = (performance.now() - began) / 1000;
    progress(`${writes} writes in ${writeSeconds.toFixed(0)} s (${(writes / writeSeconds).toFixed(0)}/s); waiting two compaction rounds, then defragmenting`);
    await sample();
    const compactionMs = parseDurationMs(COMPACTION);
    await new Promise((r) => setTimeout(r, 2 * compactionMs + 2000));
    await sample();
    const beforeDefrag = samples.at(-1)!;
    await defragment(endpoints);
    await sample();
    const end = samples.at(-1)!;
    const peak = samples.reduce((a, s) => (s.dbSize > a.dbSize ? s : a), samples[0]!);
    const eventsLeft = (await client.json.listAll(events, { namespace: NAMESPACE })).items.length;
    // Flat: the size the second half of the run peaked at is within 10 % (or 8 MiB) of the first half's peak.
    const half = samples.filter((s) => s.writes <= writes / 2);
    const secondHalf = samples.filter((s) => s.writes > writes / 2);
    const peakOf = (xs: Sample[]): number => Math.max(0, ...xs.map((s) => s.dbSize));
    const flat = peakOf(secondHalf) <= Math.max(peakOf(half) * 1.1, peakOf(half) + 8 * 1048576);
    const report = {
      writesPlanned: WRITES,
      maxSeconds: MAX_SECONDS,
      writes,
      writeSeconds,
      writesPerSecond: writes / writeSeconds,
      eventsCreated,
      eventsLeft,
      objects: OBJECTS,
      compactionInterval: COMPACTION,
      eventTtl: EVENT_TTL,
      dbSize: { start: first.dbSize, peak: peak.dbSize, beforeDefrag: beforeDefrag.dbSize, end: end.dbSize },
      dbSizeInUse: { start: first.dbSizeInUse, peak: Math.max(...samples.map((s) => s.dbSizeInUse)), beforeDefrag: beforeDefrag.dbSizeInUse, end: end.dbSizeInUse },
      revision: end.revision,
      flat,
      alarms: [...alarms],
      loadAverage: loadavg(),
      cores: availableParallelism(),
      finishedAt: new Date().toISOString(),
      samples,
    };
    await mkdir(dirname(OUTPUT), { recursive: true });
    await writeFile(OUTPUT, `${JSON.stringify(report, null, 2)}\n`);
    const projection = writes < WRITES ? [`stopped after SOAK_MAX_S=${MAX_SECONDS} s: ${writes} of ${WRITES} writes; at this rate ${WRITES} take ${(WRITES / report.writesPerSecond / 60).toFixed(0)} min`] : [];
    process.stdout.write(
      [
        ...projection,
        `storage soak: ${writes} writes in ${writeSeconds.toFixed(0)} s (${report.writesPerSecond.toFixed(0)}/s), etcd revision ${end.revision}; ${eventsCreated} Events created, ${eventsLeft} left (TTL ${EVENT_TTL})`,
        `etcd db size MiB: start ${mib(first.dbSize)}, peak ${mib(peak.dbSize)} (at ${peak.writes} writes), before defrag ${mib(beforeDefrag.dbSize)} (in use ${mib(beforeDefrag.dbSizeInUse)}), after defrag ${mib(end.dbSize)}`,
        `flat: ${flat ? "yes" : "NO"} (second half's peak ${mib(peakOf(secondHalf))} vs first half's ${mib(peakOf(half))}); alarms: ${alarms.size === 0 ? "none" : [...alarms].join("; ")}`,
        `load average at the end ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${availableParallelism()} cores; samples in ${OUTPUT}`,
      ].join("\n") + "\n",
    );
    if (!flat || alarms.size > 0) process.exitCode = 1;
  } finally {
    for (const c of clients) c.close();
    await apiserver?.kill();
    await Promise.allSettled([etcd?.stop(), nats?.stop()]);
  }
}

/** "30s", "2m", "1h" → milliseconds. */
function parseDurationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!m) throw new RangeError(`not a duration: ${text}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
}

main().catch((err: unknown) => {
  process.stderr.write(`[soak] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  if (err instanceof Error && err.cause) process.stderr.write(`[soak] cause: ${String((err.cause as Error).stack ?? err.cause)}\n`);
  process.exitCode = 1;
});
