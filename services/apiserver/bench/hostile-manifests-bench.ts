// `make bench-hostile`: 10,000 generated hostile manifests and patches sent over gRPC to a real
// apiserver (etcd, NATS, TLS, authentication on); every reply must be a clear Kubernetes Status
// (never INTERNAL/500, never a crash) and the store must be unchanged (events and leases aside).
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { apiserverV1 } from "@kubeplane/api";
import { Etcd3 } from "etcd3";
import { benchProgress, clientTls, metricSums, parseBenchScale, runConcurrently, startEtcd, startNats, startServiceProcess, sumOf } from "@kubeplane/testing";
import { hostileCases, type HostileCase } from "./hostile-cases.js";
import { rawApiClient, type RawApiClient } from "../test/raw-api-client.js";

const apiserverMain = fileURLToPath(new URL("../src/main.ts", import.meta.url));
/** KP_BENCH_SCALE=0.1 is a quick run of 1,000. */
const COUNT = Math.max(100, Math.round(10_000 * parseBenchScale(process.env.KP_BENCH_SCALE)));
const SEED = Number(process.env.KP_HOSTILE_SEED ?? 14);
const CONCURRENCY = 32;
const CONNECTIONS = 4;
const NAMESPACE = "hostile";
const OUTPUT = resolve(".local/bench/hostile-manifests.json");

/** etcd's /registry/ keys and values, without Events and Leases (they expire and renew on their own). */
async function snapshot(etcd: Etcd3): Promise<Map<string, string>> {
  const all = await etcd.getAll().prefix("/registry/").buffers();
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(all)) {
    if (key.startsWith("/registry/events/") || key.startsWith("/registry/coordination.k8s.io/leases/")) continue;
    out.set(key, value.toString("base64"));
  }
  return out;
}

function diff(before: Map<string, string>, after: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [k, v] of after) if (before.get(k) !== v) changes.push(`${before.has(k) ? "changed" : "added"} ${k}`);
  for (const k of before.keys()) if (!after.has(k)) changes.push(`deleted ${k}`);
  return changes;
}

/** The fixtures patches and updates aim at, created before the first snapshot. */
async function createFixtures(client: RawApiClient): Promise<void> {
  const json = (o: unknown) => ({ data: Buffer.from(JSON.stringify(o)), encoding: apiserverV1.Encoding.ENCODING_JSON });
  const create = async (group: string, version: string, resource: string, obj: unknown): Promise<void> => {
    const r = await client.call("create", { resource: { group, version, resource }, namespace: NAMESPACE, object: json(obj), accept: apiserverV1.Encoding.ENCODING_JSON });
    if (!r.ok) throw new Error(`fixture ${resource}: ${r.error.message}`);
  };
  await create("", "v1", "namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
  await create("", "v1", "configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "target", namespace: NAMESPACE }, data: { a: "1" } });
  await create("", "v1", "serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: NAMESPACE } });
  await create("apps", "v1", "deployments", {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "target", namespace: NAMESPACE },
    spec: { replicas: 1, selector: { matchLabels: { app: "t" } }, template: { metadata: { labels: { app: "t" } }, spec: { containers: [{ name: "app", image: "nginx" }] } } },
  });
}

interface Failure {
  index: number;
  category: string;
  what: string;
  outcome: string;
}

async function main(): Promise<void> {
  benchProgress(`starting etcd, NATS JetStream and the apiserver; ${COUNT} hostile requests (seed ${SEED}), ${CONCURRENCY} in flight over ${CONNECTIONS} connections`);
  const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  const apiserver = await startServiceProcess({ entry: apiserverMain, flags: { "etcd-endpoints": etcd.endpoints.join(","), "nats-url": nats.url } });
  const etcdTls = clientTls("apiserver-etcd-client");
  const etcdClient = new Etcd3({
    hosts: etcd.endpoints,
    credentials: { rootCertificate: readFileSync(etcdTls.caFile), certChain: readFileSync(etcdTls.certFile), privateKey: readFileSync(etcdTls.keyFile) },
  });
  const clients = Array.from({ length: CONNECTIONS }, () => rawApiClient(apiserver.grpcAddress));
  try {
    await createFixtures(clients[0]!);
    const cases: HostileCase[] = hostileCases(COUNT, SEED, NAMESPACE);
    const before = await snapshot(etcdClient);
    const byCategory: Record<string, Record<string, number>> = {};
    const byReason: Record<string, number> = {};
    const byGrpcCode: Record<string, number> = {};
    const failures: Failure[] = [];
    let accepted = 0;
    const seconds = await runConcurrently("hostile requests", cases.length, CONCURRENCY, async (i) => {
      const c = cases[i]!;
      const outcome = await clients[i % CONNECTIONS]!.call(c.method, c.request, 60_000);
      const fail = (why: string): void => {
        if (failures.length < 50) failures.push({ index: i, category: c.category, what: c.what, outcome: why });
      };
      if (outcome.ok) {
        accepted++;
        fail("accepted");
        return;
      }
      const reason = outcome.hasStatus ? outcome.error.reason : `no Status (gRPC ${GrpcStatus[outcome.grpcCode]})`;
      byReason[reason] = (byReason[reason] ?? 0) + 1;
      byGrpcCode[GrpcStatus[outcome.grpcCode]] = (byGrpcCode[GrpcStatus[outcome.grpcCode]] ?? 0) + 1;
      (byCategory[c.category] ??= {})[reason] = (byCategory[c.category]![reason] ?? 0) + 1;
      if (!outcome.hasStatus) fail(`no Status: gRPC ${GrpcStatus[outcome.grpcCode]} ${outcome.error.message}`);
      else if (outcome.grpcCode === GrpcStatus.INTERNAL || outcome.grpcCode === GrpcStatus.UNKNOWN || outcome.error.code >= 500) {
        fail(`${outcome.error.code} ${outcome.error.reason}: ${outcome.error.message.slice(0, 300)}`);
      } else if (!outcome.error.message) fail(`${outcome.error.reason} without a message`);
    });
    const after = await snapshot(etcdClient);
    const changes = diff(before, after);
    const alive = (() => {
      try {
        process.kill(apiserver.pid, 0);
        return true;
      } catch {
        return false;
      }
    })();
    const metrics = await apiserver.metrics();
    const serverErrors = sumOf(metricSums(metrics, "apiserver_request_total", { code: "500" }));
    const internal = (byGrpcCode.INTERNAL ?? 0) + (byGrpcCode.UNKNOWN ?? 0);
    const result = {
      requests: cases.length,
      seed: SEED,
      seconds,
      requestsPerSec: cases.length / seconds,
      accepted,
      internalErrors: internal,
      serverErrors500: serverErrors,
      clearStatus: cases.length - accepted - failures.filter((f) => f.outcome.startsWith("no Status")).length,
      apiserverAlive: alive,
      storeKeys: before.size,
      storeChanges: changes.slice(0, 50),
      storeUnchanged: changes.length === 0,
      byReason,
      byGrpcCode,
      byCategory,
      failures,
    };
    await mkdir(dirname(OUTPUT), { recursive: true });
    await writeFile(OUTPUT, `${JSON.stringify(result, null, 2)}\n`);
    const lines = [`${cases.length} hostile requests in ${seconds.toFixed(1)} s (${result.requestsPerSec.toFixed(0)}/s), seed ${SEED}`, "replies by Status reason:"];
    for (const [reason, n] of Object.entries(byReason).sort((a, b) => b[1] - a[1])) lines.push(`  ${reason.padEnd(24)} ${n}`);
    lines.push("by category:");
    for (const [category, reasons] of Object.entries(byCategory).sort()) {
      lines.push(`  ${category.padEnd(20)} ${Object.entries(reasons).map(([r, n]) => `${r} ${n}`).join(", ")}`);
    }
    lines.push(`accepted: ${accepted}; internal errors: ${internal}; 500s counted by the apiserver: ${serverErrors}; apiserver alive: ${alive}`);
    lines.push(`store (${before.size} keys, events and leases aside): ${changes.length === 0 ? "unchanged" : `${changes.length} changes, e.g. ${changes.slice(0, 5).join("; ")}`}`);
    for (const f of failures.slice(0, 10)) lines.push(`  FAIL #${f.index} [${f.category}] ${f.what}: ${f.outcome}`);
    if (!alive) lines.push(`the apiserver's last output:\n${apiserver.output().slice(-4000)}`);
    process.stdout.write(`\n${lines.join("\n")}\n`);
    benchProgress(`figures written to ${OUTPUT}`);
    if (failures.length || changes.length || !alive || serverErrors > 0) process.exitCode = 1;
  } finally {
    for (const c of clients) c.close();
    etcdClient.close();
    await apiserver.kill();
    await Promise.allSettled([etcd.stop(), nats.stop()]);
  }
}

await main();
