// `make soak`: a mixed workload (ConfigMap writes with a ledger, Deployments scaling and rolling, Jobs, informers) on a full cluster while faults kill and restart its parts; exits non-zero on a lost write or any other violation.
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { connect, type NatsConnection } from "nats";
import { kindFor, type ApiObject, type KindInfo } from "@kubeplane/api";
import { ApiClient, SharedInformerFactory, type Informer } from "@kubeplane/client";
import { clientTls, natsOptions, waitFor } from "@kubeplane/testing";
import { FAULT_KINDS, FaultInjector } from "./faults.js";
import { configMaps, Ledger } from "./ledger.js";
import { intFromEnv, pause, progress } from "./run-support.js";
import { startSoakCluster, type SoakCluster } from "./soak-cluster.js";
import { DeploymentLoad, deployments, JobLoad, jobs, pods } from "./workload.js";

type Json = Record<string, unknown>;
const namespaces = kindFor("v1", "Namespace") as KindInfo;
const replicaSets = kindFor("apps/v1", "ReplicaSet") as KindInfo;

const SOAK_S = intFromEnv("SOAK_S", 600);
const SETTLE_S = intFromEnv("SOAK_SETTLE_S", 240);
const NODES = intFromEnv("SOAK_NODES", 10);
const KEYS = 200;
const WRITERS = 8;
const OUTPUT = resolve(".local/bench/soak.json");
const LOG_DIR = resolve(".local/bench/soak-logs");
const NS = { writes: "soak-writes", apps: "soak-apps", jobs: "soak-jobs" } as const;


/** Repeats `op` every `everyMs` until `signal` aborts, ignoring its failures (faults make many). */
async function every(everyMs: number, signal: AbortSignal, op: () => Promise<unknown>): Promise<void> {
  while (!signal.aborted) {
    await op().catch(() => undefined);
    await pause(everyMs, signal);
  }
}

/** Informer caches (key → resourceVersion) that differ from a fresh List, as "kind: n differences (e.g. …)". */
async function informerDifferences(client: ApiClient, informers: Array<[KindInfo, Informer<ApiObject>]>): Promise<string[]> {
  const out: string[] = [];
  for (const [kind, informer] of informers) {
    const fresh = new Map((await client.json.listAll(kind)).items.map((o) => [`${(o.metadata as Json).namespace ?? ""}/${(o.metadata as Json).name}`, String((o.metadata as Json).resourceVersion)]));
    const cached = new Map(informer.lister.list().map((obj) => obj as unknown as Json).map((o) => [`${(o.metadata as Json).namespace ?? ""}/${(o.metadata as Json).name}`, String((o.metadata as Json).resourceVersion)]));
    const diffs = [...new Set([...fresh.keys(), ...cached.keys()])].filter((k) => fresh.get(k) !== cached.get(k));
    if (diffs.length > 0) out.push(`${kind.resource}: ${diffs.length} differ (e.g. ${diffs[0]}: listed ${fresh.get(diffs[0]!) ?? "absent"}, cached ${cached.get(diffs[0]!) ?? "absent"})`);
  }
  return out;
}

async function main(): Promise<void> {
  const began = performance.now();
  progress(`soak for ${SOAK_S} s: etcd ×3, NATS, apiserver ×2, scheduler, controller-manager ×2, a kubelet simulating ${NODES} nodes; load average ${loadavg()[0]!.toFixed(1)}`);
  let cluster: SoakCluster | undefined;
  let nc: NatsConnection | undefined;
  const clients: ApiClient[] = [];
  const stopInformers = new AbortController();
  const violations: string[] = [];
  try {
    cluster = await startSoakCluster({ simulatedNodes: NODES, nodePrefix: "soak-node", apiserverFlags: { "compaction-interval": "60s" } });
    const connectClient = (agent: string): ApiClient => {
      const c = ApiClient.connect({ ...clientTls(), server: cluster!.apiserverTarget, userAgent: agent, timeoutMs: 10_000 });
      clients.push(c);
      return c;
    };
    const admin = connectClient("soak-admin");
    for (const name of Object.values(NS)) await admin.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });

    nc = await connect({ ...natsOptions(cluster.nats.url, "admin"), servers: cluster.nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    const factory = new SharedInformerFactory(admin, { js: nc.jetstream(), jsm: await nc.jetstreamManager() });
    const watched: Array<[KindInfo, Informer<ApiObject>]> = [configMaps, pods, deployments, replicaSets, jobs].map((k) => [k, factory.informerFor(k)]);
    const podInformer = watched[1]![1];
    factory.start(stopInformers.signal);
    await factory.waitForCacheSync(stopInformers.signal);

    // A pod bound to one node must never show up on another.
    const boundTo = new Map<string, string>();
    podInformer.addEventHandler({
      onAdd: (p) => checkBinding(p),
      onUpdate: (_, p) => checkBinding(p),
      onDelete: () => undefined,
    });
    function checkBinding(obj: ApiObject): void {
      const p = obj as unknown as Json;
      const uid = String((p.metadata as Json).uid);
      const node = String(((p.spec ?? {}) as Json).nodeName ?? "");
      if (node === "") return;
      const first = boundTo.get(uid);
      if (first === undefined) boundTo.set(uid, node);
      else if (first !== node) violations.push(`pod ${(p.metadata as Json).namespace}/${(p.metadata as Json).name} bound to ${first}, later to ${node}`);
    }

    const ledger = new Ledger(connectClient("soak-ledger"), NS.writes, KEYS);
    const apps = new DeploymentLoad(connectClient("soak-deployments"), NS.apps, 3);
    const jobLoad = new JobLoad(connectClient("soak-jobs"), NS.jobs);
    await apps.create();
    const faults = new FaultInjector(cluster, () => ledger.stats.lastAckAt);
    for (const r of cluster.services) r.supervise((x) => progress(`${x.name} exited on its own; restarting it (as a supervisor would)`));

    const load = new AbortController();
    const faulting = new AbortController();
    const loadDone = Promise.all([
      ledger.run(WRITERS, 50, load.signal),
      every(4000, load.signal, () => apps.mutate()),
      every(10_000, load.signal, () => jobLoad.createOne()),
    ]);
    // The completer keeps running through the settle phase so the last Jobs finish.
    const completing = every(1000, stopInformers.signal, () => jobLoad.complete(podInformer, 1500));
    const faultsDone = faults.run(3000, faulting.signal);
    const ticker = setInterval(() => {
      const s = ledger.stats;
      progress(
        `${((performance.now() - began) / 1000).toFixed(0)} s: ${s.acknowledged} writes acknowledged, ${s.unanswered} unanswered, ${s.rejected} rejected; ${apps.mutations} deployment changes; ${jobLoad.created.length} jobs; ${faults.total} faults; ${ledger.violations.length + violations.length} violations; load ${loadavg()[0]!.toFixed(1)}`,
      );
    }, 10_000);
    const loadStarted = performance.now();
    await pause(SOAK_S * 1000);
    progress("soak time over: stopping faults, then the load");
    faulting.abort();
    await faultsDone;
    load.abort();
    await loadDone;
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    clearInterval(ticker);

    progress(`settling (up to ${SETTLE_S} s): deployments at their desired state, jobs complete, informers equal to fresh lists`);
    const settleDeadline = performance.now() + SETTLE_S * 1000;
    const remaining = (): number => Math.max(1000, settleDeadline - performance.now());
    let workloadProblems: string[] = [];
    await waitFor(
      async () => {
        workloadProblems = [...(await apps.problems(podInformer)), ...(await jobLoad.problems(podInformer))];
        return workloadProblems.length === 0;
      },
      { timeoutMs: remaining(), intervalMs: 2000, message: "workloads at their desired state" },
    ).catch(() => undefined);
    let informerProblems: string[] = [];
    await waitFor(
      async () => {
        informerProblems = await informerDifferences(admin, watched);
        return informerProblems.length === 0;
      },
      { timeoutMs: remaining(), intervalMs: 2000, message: "informers equal to fresh lists" },
    ).catch(() => undefined);
    const lostNow = await ledger.verify();
    const lost = ledger.violations.filter((v) => v.lost).length;
    violations.push(...ledger.violations.map((v) => `ConfigMap ${v.key}: expected ${v.expected}, found ${v.found}`), ...workloadProblems, ...informerProblems);

    const figures = {
      soakSeconds: SOAK_S,
      loadSeconds,
      writesAcknowledged: ledger.stats.acknowledged,
      writesUnanswered: ledger.stats.unanswered,
      writesRejected: ledger.stats.rejected,
      unplannedExits: Object.fromEntries(cluster.services.map((r) => [r.name, r.unplannedExits])),
      lost,
      lostAtTheEnd: lostNow.length,
      deploymentChanges: apps.mutations,
      jobs: jobLoad.created.length,
      faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, faults.records.get(k)!])),
      violations,
      loadAverage: loadavg(),
      cores: availableParallelism(),
      finishedAt: new Date().toISOString(),
    };
    await mkdir(dirname(OUTPUT), { recursive: true });
    await writeFile(OUTPUT, `${JSON.stringify(figures, null, 2)}\n`);
    const lines = [
      `soak: ${SOAK_S} s of faults under load (${loadSeconds.toFixed(0)} s), ${NODES} simulated nodes; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${availableParallelism()} cores`,
      `writes acknowledged ${ledger.stats.acknowledged}, unanswered ${ledger.stats.unanswered}, rejected ${ledger.stats.rejected}`,
      `lost ${lost}`,
      `deployment changes ${apps.mutations}, jobs ${jobLoad.created.length}, pods seen bound ${boundTo.size}`,
      `restarts after exits on their own (lost leases): ${cluster.services.map((r) => `${r.name} ${r.unplannedExits}`).join(", ")}`,
      `faults injected ${faults.total}:`,
      ...FAULT_KINDS.map((k) => {
        const r = faults.records.get(k)!;
        return `  ${k.padEnd(19)} ${String(r.count).padStart(3)}  worst down ${(r.worstDownMs / 1000).toFixed(1)} s, worst time without an acknowledged write ${(r.worstWriteGapMs / 1000).toFixed(1)} s`;
      }),
      violations.length === 0 ? "violations: none" : `violations (${violations.length}):\n${violations.map((v) => `  ${v}`).join("\n")}`,
      `figures in ${OUTPUT}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    if (violations.length > 0 || lost > 0) {
      process.exitCode = 1;
      await mkdir(LOG_DIR, { recursive: true });
      for (const r of cluster.services) await writeFile(resolve(LOG_DIR, `${r.name}.log`), r.output());
      process.stdout.write(`services' logs (SOAK_LOG_LEVEL=${process.env.SOAK_LOG_LEVEL ?? "warn"}) in ${LOG_DIR}\n`);
    }
    stopInformers.abort();
    await completing;
  } finally {
    stopInformers.abort();
    for (const c of clients) c.close();
    await nc?.close().catch(() => undefined);
    await cluster?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[soak] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  if (err instanceof Error && err.cause) process.stderr.write(`[soak] cause: ${String((err.cause as Error).stack ?? err.cause)}\n`);
  process.exitCode = 1;
});
