// Group commit's batching policy measured on a real etcd: creates at 1/10/100 concurrent writers, one txn per write vs the committer at maxInFlight 1, 2, 4.
import { resourceVersionOf } from "@kubeplane/api";
import type { IKeyValue } from "etcd3";
import { benchProgress, etcdStoreTls, parseBenchScale, percentile, startEtcd } from "@kubeplane/testing";
import { GroupCommitter } from "../src/group-commit.js";
import { EtcdStore, decodeStoredValue, type StoredValue } from "../src/index.js";

const SCALE = parseBenchScale(process.env.KP_BENCH_SCALE);
const LEVELS = [1, 10, 100] as const;
const OPS: Record<number, number> = { 1: 2000, 10: 5000, 100: 10_000 };
const MODES = ["one txn per write", "maxInFlight 1", "maxInFlight 2", "maxInFlight 4"] as const;
const VALUE = Buffer.from("x".repeat(200));

interface Row {
  mode: string;
  concurrency: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  writesPerTxn: number;
}

async function run(concurrency: number, total: number, write: (i: number) => Promise<unknown>): Promise<{ opsPerSec: number; p50Ms: number; p99Ms: number }> {
  const latencies = new Float64Array(total);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await write(i);
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort();
  return { opsPerSec: total / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

/** Only a conflict reads this, and the bench's creates never conflict. */
function toStored(kv: IKeyValue): StoredValue {
  const { payload, ordinal } = decodeStoredValue(kv.value);
  const stored = { key: kv.key.toString(), value: payload, modRevision: Number(kv.mod_revision), createRevision: Number(kv.create_revision), resourceVersion: resourceVersionOf(Number(kv.mod_revision), ordinal) };
  return stored;
}

async function main(): Promise<void> {
  const etcd = await startEtcd({ name: "bench-group-commit" });
  const store = EtcdStore.connect({ tls: etcdStoreTls(), endpoints: etcd.endpoints });
  const rows: Row[] = [];
  try {
    for (const c of LEVELS) {
      for (const [m, mode] of MODES.entries()) {
        const total = Math.max(10, Math.round(OPS[c]! * SCALE));
        let txns = 0;
        const gc = m === 0 ? undefined : new GroupCommitter(store.etcdClient.kv, { maxInFlight: 2 ** (m - 1), toStored, observe: () => txns++ });
        const write = (i: number): Promise<unknown> => {
          const key = `/bench/gc/c${c}-m${m}/${i}`;
          return gc ? gc.submit({ type: "create", key, value: VALUE }) : store.create(key, VALUE);
        };
        await run(c, Math.min(100, total), (i) => write(total + i)); // warm-up, not counted
        txns = 0;
        const figures = await run(c, total, write);
        const row = { mode, concurrency: c, ...figures, writesPerTxn: gc ? total / txns : 1 };
        rows.push(row);
        benchProgress(`c=${c} ${mode}: ${row.opsPerSec.toFixed(0)} writes/s, p50 ${row.p50Ms.toFixed(2)} ms, p99 ${row.p99Ms.toFixed(2)} ms, ${row.writesPerTxn.toFixed(1)} writes/txn`);
      }
    }
  } finally {
    store.close();
    await etcd.stop();
  }
  const lines = [`group commit bench — scale ${SCALE}, 1-member etcd, 200-byte creates`, "conc  mode                 writes/s   p50 ms   p99 ms  writes/txn"];
  for (const r of rows) {
    lines.push(`${String(r.concurrency).padEnd(4)}  ${r.mode.padEnd(18)}  ${r.opsPerSec.toFixed(0).padStart(9)}  ${r.p50Ms.toFixed(2).padStart(7)}  ${r.p99Ms.toFixed(2).padStart(7)}  ${r.writesPerTxn.toFixed(1).padStart(10)}`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
