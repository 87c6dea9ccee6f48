// `make bench`: what the audit log costs the apiserver per request (CPU, bytes), off and at each level, and that a SIGTERM loses no event.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { coreV1Pod, kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { benchProgress, clientTls, metricSums, parseBenchScale, processCpuSeconds, runConcurrently, startEtcd, startNats, startServiceProcess } from "@kubeplane/testing";

const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const namespaces = kindFor("v1", "Namespace")!;
const apiserverMain = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const SCALE = parseBenchScale(process.env.KP_BENCH_SCALE);
const OPS = Math.max(100, Math.round(3000 * SCALE));
const CONCURRENCY = 100;
const CONNECTIONS = 4;
const OUTPUT = resolve(".local/bench/apiserver-audit-cost.json");

/** The audit settings compared: none, then one level for every request. */
const MODES = ["off", "Metadata", "Request", "RequestResponse"] as const;

interface Row {
  audit: (typeof MODES)[number];
  operation: string;
  ops: number;
  opsPerSec: number;
  apiserverCpuMs: number;
  /** Bytes of audit log per request (0 when off). */
  logBytesPerOp: number;
}

function pod(ns: string, i: number): coreV1Pod.Pod {
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: ns, name: `pod-${i}`, labels: { app: "bench" } },
    spec: { containers: [{ name: "app", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "100m", memory: "128Mi" } } }] },
  });
}

async function main(): Promise<void> {
  benchProgress(`audit cost: ${OPS} pod creates and gets per mode (${MODES.join(", ")}), ${CONCURRENCY} in flight over ${CONNECTIONS} connections`);
  const dir = await mkdtemp(join(tmpdir(), "kp-audit-bench-"));
  const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  const rows: Row[] = [];
  let flush = { sent: 0, written: 0, errors: 0 };
  try {
    for (const mode of MODES) {
      const flags: Record<string, string> = { "etcd-endpoints": etcd.endpoints.join(","), "nats-url": nats.url };
      const logPath = join(dir, `audit-${mode}.log`);
      if (mode !== "off") {
        const policy = join(dir, `policy-${mode}.yaml`);
        await writeFile(policy, `apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: ${mode}\n`);
        Object.assign(flags, { "audit-policy-file": policy, "audit-log-path": logPath });
      }
      const apiserver = await startServiceProcess({ entry: apiserverMain, flags });
      const clients = Array.from({ length: CONNECTIONS }, () => ApiClient.connect({ ...clientTls(), server: apiserver.grpcAddress }));
      const ns = `bench-audit-${mode.toLowerCase()}`;
      /** The log's size once every event the apiserver counted is in it (the writer is asynchronous). */
      const logSize = async (): Promise<number> => {
        if (mode === "off") return 0;
        const deadline = Date.now() + 30_000;
        for (;;) {
          const counted = metricSums(await apiserver.metrics(), "apiserver_audit_event_total")[""] ?? 0;
          const text = await readFile(logPath, "utf8").catch(() => "");
          if (text.split("\n").filter(Boolean).length >= counted) return Buffer.byteLength(text);
          if (Date.now() > deadline) throw new Error(`the audit log did not catch up with ${counted} events`);
        }
      };
      try {
        await clients[0]!.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
        await runConcurrently(`${mode}: warm-up`, 300, CONCURRENCY, (i) => clients[i % CONNECTIONS]!.create(pods, pod(ns, 1_000_000 + i)));
        const measure = async (operation: string, op: (i: number, c: ApiClient) => Promise<unknown>): Promise<void> => {
          const bytes = await logSize(); // before the CPU snapshot: its /metrics scrapes cost the apiserver CPU
          const cpu = await processCpuSeconds(apiserver.pid);
          const seconds = await runConcurrently(`${mode}: ${operation}`, OPS, CONCURRENCY, (i) => op(i, clients[i % CONNECTIONS]!));
          const apiCpu = (await processCpuSeconds(apiserver.pid)) - cpu;
          rows.push({ audit: mode, operation, ops: OPS, opsPerSec: OPS / seconds, apiserverCpuMs: (1000 * apiCpu) / OPS, logBytesPerOp: ((await logSize()) - bytes) / OPS });
        };
        await measure("pod create", (i, c) => c.create(pods, pod(ns, i)));
        await measure("pod get", (i, c) => c.get(pods, ns, `pod-${i}`));
        if (mode === "Metadata") {
          // A burst, then SIGTERM at once: every event the apiserver counted must be in the file.
          await runConcurrently("Metadata: burst before SIGTERM", OPS, CONCURRENCY, (i) => clients[i % CONNECTIONS]!.get(pods, ns, `pod-${i}`));
          const metrics = await apiserver.metrics();
          const sent = metricSums(metrics, "apiserver_audit_event_total")[""] ?? 0;
          const errors = Object.values(metricSums(metrics, "apiserver_audit_error_total")).reduce((a, b) => a + b, 0);
          for (const c of clients) c.close();
          await apiserver.kill("SIGTERM");
          const written = (await readFile(logPath, "utf8")).split("\n").filter(Boolean).length;
          flush = { sent, written, errors };
          if (written < sent) throw new Error(`audit events lost on SIGTERM: ${sent} counted, ${written} in the file`);
        }
      } finally {
        for (const c of clients) c.close();
        await apiserver.kill();
      }
    }
  } finally {
    await Promise.allSettled([etcd.stop(), nats.stop()]);
    await rm(dir, { recursive: true, force: true });
  }
  const off = (operation: string): number => rows.find((r) => r.audit === "off" && r.operation === operation)?.apiserverCpuMs ?? 0;
  const lines = [
    `apiserver audit log cost — scale ${SCALE}, 1-member etcd, NATS JetStream, apiserver as a process; node ${process.version}, ${availableParallelism()} cores`,
    "",
    `${"audit".padEnd(16)}${"operation".padEnd(12)}${"ops/s".padStart(8)}${"ms CPU/op".padStart(11)}${"vs off".padStart(9)}${"log B/op".padStart(10)}`,
    ...rows.map(
      (r) =>
        `${r.audit.padEnd(16)}${r.operation.padEnd(12)}${r.opsPerSec.toFixed(0).padStart(8)}${r.apiserverCpuMs.toFixed(3).padStart(11)}${`${(((r.apiserverCpuMs - off(r.operation)) / (off(r.operation) || 1)) * 100).toFixed(0)}%`.padStart(9)}${r.logBytesPerOp.toFixed(0).padStart(10)}`,
    ),
    "",
    `SIGTERM right after a burst: ${flush.sent} events counted, ${flush.written} in the file (a line may be counted after the scrape), ${flush.errors} errors`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  await mkdir(dirname(OUTPUT), { recursive: true });
  await writeFile(OUTPUT, `${JSON.stringify({ scale: SCALE, node: process.version, cores: availableParallelism(), finishedAt: new Date().toISOString(), rows, flush }, null, 2)}\n`);
  benchProgress(`figures written to ${OUTPUT}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
