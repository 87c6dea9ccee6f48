// `make soak`: a mixed workload (ConfigMap writes with a ledger, Deployments scaling and rolling, Jobs, informers, pods on a real node) on a full cluster while faults kill, restart and partition its parts; exits non-zero on a lost write, a pod run twice, a leak or any other violation.
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { connect, type NatsConnection } from "nats";
import { isConflict, kindFor, type ApiObject, type KindInfo } from "@kubeplane/api";
import { ApiClient, SharedInformerFactory, type Informer } from "@kubeplane/client";
import { clientTls, enterTestNetns, natsOptions, startPartitioner, waitFor, type Partitioner } from "@kubeplane/testing";
import { FAULT_KINDS, FaultInjector } from "./faults.js";
import { configMaps, Ledger } from "./ledger.js";
import { ContainerWatch, NODE_DEPLOYMENTS, NodeWorkload } from "./node-workload.js";
import { leftovers, startRealNode, type Leftovers, type RealNode } from "./real-node.js";
import { intFromEnv, pause, progress } from "./run-support.js";
import { startSoakCluster, type SoakCluster } from "./soak-cluster.js";
import { DeploymentLoad, deployments, JobLoad, jobs, pods } from "./workload.js";

// The whole soak runs in a network namespace of its own (nftables partitions, the real node's CNI
// bridge and pods): the outer process deletes it, kills what is left in it and removes the test
// cgroups when the soak ends, however it ends.
await enterTestNetns(import.meta.url);

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
const NS = { writes: "soak-writes", apps: "soak-apps", jobs: "soak-jobs", node: "soak-node" } as const;
const REAL_NODE = "soak-real";
/** Node heartbeats every 2 s; a node silent for 20 s is Unknown (a cut kubelet is held past it). */
const NODE_GRACE_S = 20;
const nodes = kindFor("v1", "Node") as KindInfo;


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

/** Updates `name`'s object with `change` applied to a fresh read, again on Conflict (5 tries). */
async function updateWith(client: ApiClient, kind: KindInfo, namespace: string, name: string, change: (o: Json) => void): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const obj = await client.json.get(kind, namespace, name);
    change(obj);
    try {
      await client.json.update(kind, obj);
      return;
    } catch (err) {
      if (attempt >= 4 || !isConflict(err)) throw err;
    }
  }
}

/**
 * The real node's drain: its Deployments scaled to 0 and deleted, the node cordoned, any pod still
 * bound to it deleted; then waits (up to `timeoutMs`) until nothing of its pods is left and returns
 * what is left at the end.
 */
async function drainRealNode(admin: ApiClient, node: RealNode, watch: ContainerWatch, timeoutMs: number): Promise<{ podsLeft: string[]; left: Leftovers }> {
  for (const name of Object.keys(NODE_DEPLOYMENTS)) await updateWith(admin, deployments, NS.node, name, (d) => ((d.spec ??= {}) as Json).replicas = 0);
  await updateWith(admin, nodes, "", node.name, (n) => ((n.spec ??= {}) as Json).unschedulable = true);
  const bound = async (): Promise<Json[]> => (await admin.json.listAll(pods)).items.filter((p) => ((p.spec ?? {}) as Json).nodeName === node.name);
  const deadline = performance.now() + timeoutMs;
  let podsLeft: string[] = [];
  await waitFor(
    async () => {
      const left = await bound();
      podsLeft = left.map((p) => `${(p.metadata as Json).namespace}/${(p.metadata as Json).name}`);
      return left.length === 0;
    },
    { timeoutMs: 90_000, intervalMs: 1000, message: "the real node's pods gone" },
  ).catch(() => undefined);
  for (const name of Object.keys(NODE_DEPLOYMENTS)) await admin.json.delete(deployments, NS.node, name).catch(() => undefined);
  // Anything else still bound (none expected: the node is tainted for everything but its workload).
  for (const p of await bound()) await admin.json.delete(pods, String((p.metadata as Json).namespace), String((p.metadata as Json).name)).catch(() => undefined);
  let left = await leftovers(node, watch.podIps, watch.sandboxIds);
  const empty = (l: Leftovers): boolean => Object.values(l).every((xs: string[]) => xs.length === 0);
  await waitFor(
    async () => {
      podsLeft = (await bound()).map((p) => `${(p.metadata as Json).namespace}/${(p.metadata as Json).name}`);
      left = await leftovers(node, watch.podIps, watch.sandboxIds);
      return podsLeft.length === 0 && empty(left);
    },
    { timeoutMs: Math.max(30_000, deadline - performance.now()), intervalMs: 2000, message: "nothing of the real node's pods left" },
  ).catch(() => undefined);
  return { podsLeft, left };
}

/** Writes every service's output (and containerd's log) to LOG_DIR. */
async function dumpLogs(cluster: SoakCluster | undefined, node: RealNode | undefined): Promise<void> {
  await mkdir(LOG_DIR, { recursive: true });
  for (const r of [...(cluster?.services ?? []), ...(node ? [node.kubelet] : [])]) await writeFile(resolve(LOG_DIR, `${r.name}.log`), r.output());
  if (node) await writeFile(resolve(LOG_DIR, "containerd.log"), node.containerd.logs());
}

async function main(): Promise<void> {
  const began = performance.now();
  progress(
    `soak for ${SOAK_S} s: etcd ×3, NATS, apiserver ×2, scheduler, controller-manager ×2, a kubelet simulating ${NODES} nodes, a real node (${REAL_NODE}: containerd, CNI); load average ${loadavg()[0]!.toFixed(1)}`,
  );
  let cluster: SoakCluster | undefined;
  let realNode: RealNode | undefined;
  let partitioner: Partitioner | undefined;
  let nc: NatsConnection | undefined;
  const clients: ApiClient[] = [];
  const stopInformers = new AbortController();
  const violations: string[] = [];
  // On SIGINT/SIGTERM: heal the cuts, remove the node's containers and stop every process before exiting (the outer process then deletes the namespace).
  let stopping = false;
  const interrupted = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    progress(`${signal}: stopping everything`);
    stopInformers.abort();
    void (async () => {
      await partitioner?.close().catch(() => undefined);
      await realNode?.stop().catch(() => undefined);
      await cluster?.stop().catch(() => undefined);
      process.exit(130);
    })();
  };
  process.on("SIGINT", interrupted);
  process.on("SIGTERM", interrupted);
  try {
    cluster = await startSoakCluster({
      simulatedNodes: NODES,
      nodePrefix: "soak-node",
      apiserverFlags: { "compaction-interval": "60s" },
      controllerManagerFlags: { "node-monitor-grace-period": `${NODE_GRACE_S}s` },
      kubeletFlags: { "node-lease-renew-interval": "2s" },
    });
    partitioner = await startPartitioner();
    realNode = await startRealNode(cluster, {
      name: REAL_NODE,
      podCidr: "10.88.77.0/24",
      kubeletFlags: { "node-lease-renew-interval": "2s", "node-status-update-frequency": "2s", "sync-frequency": "2s" },
    });
    const connectClient = (agent: string): ApiClient => {
      const c = ApiClient.connect({ ...clientTls(), server: cluster!.apiserverTarget, userAgent: agent, timeoutMs: 10_000 });
      clients.push(c);
      return c;
    };
    const admin = connectClient("soak-admin");
    for (const name of Object.values(NS)) await admin.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });

    nc = await connect({ ...natsOptions(cluster.nats.url, "admin"), servers: cluster.nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    await waitFor(async () => ((((await admin.json.get(nodes, "", REAL_NODE)).status ?? {}) as Json).conditions as Json[] | undefined)?.some((c) => c.type === "Ready" && c.status === "True") ?? false, {
      // Registration, the node's NATS user from the authorizer, the CNI config: 80 s at load 17.
      timeoutMs: 240_000,
      intervalMs: 1000,
      message: `${REAL_NODE} Ready`,
    });
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
    const nodeLoad = new NodeWorkload(connectClient("soak-node-workload"), NS.node);
    await apps.create();
    await nodeLoad.create();
    const containers = new ContainerWatch(realNode);
    const node = realNode;
    await waitFor(async () => (await nodeLoad.problems(podInformer, REAL_NODE)).length === 0, { timeoutMs: 180_000, intervalMs: 2000, message: `the node workload Running on ${REAL_NODE}` });
    progress(`node workload Running on ${REAL_NODE}; faults start`);
    const faults = new FaultInjector({ cluster, node, partitioner, client: connectClient("soak-faults"), nodeNamespace: NS.node, nodeGraceMs: NODE_GRACE_S * 1000 }, () => ledger.stats.lastAckAt);
    for (const r of [...cluster.services, node.kubelet]) r.supervise((x) => progress(`${x.name} exited on its own; restarting it (as a supervisor would)`));

    const load = new AbortController();
    const faulting = new AbortController();
    const loadDone = Promise.all([
      ledger.run(WRITERS, 50, load.signal),
      every(4000, load.signal, () => apps.mutate()),
      every(10_000, load.signal, () => jobLoad.createOne()),
      every(15_000, load.signal, () => nodeLoad.mutate()),
    ]);
    // The containers on the real node are sampled until the drain is over.
    const sampling = every(3000, stopInformers.signal, () => containers.sample(podInformer));
    // The completer keeps running through the settle phase so the last Jobs finish.
    const completing = every(1000, stopInformers.signal, () => jobLoad.complete(podInformer, 1500));
    const faultsDone = faults.run(1000, faulting.signal);
    const ticker = setInterval(() => {
      const s = ledger.stats;
      progress(
        `${((performance.now() - began) / 1000).toFixed(0)} s: ${s.acknowledged} writes acknowledged, ${s.unanswered} unanswered, ${s.rejected} rejected; ${apps.mutations} deployment changes (${nodeLoad.mutations} on ${REAL_NODE}); ${jobLoad.created.length} jobs; ${faults.total} faults; ${ledger.violations.length + violations.length + faults.violations.length + containers.violations.length} violations; load ${loadavg()[0]!.toFixed(1)}`,
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

    progress(`settling (up to ${SETTLE_S} s): deployments at their desired state, jobs complete, ${REAL_NODE}'s containers equal to its pods, informers equal to fresh lists`);
    const settleDeadline = performance.now() + SETTLE_S * 1000;
    const remaining = (): number => Math.max(1000, settleDeadline - performance.now());
    let workloadProblems: string[] = [];
    await waitFor(
      async () => {
        workloadProblems = [...(await apps.problems(podInformer)), ...(await jobLoad.problems(podInformer)), ...(await nodeLoad.problems(podInformer, REAL_NODE))];
        return workloadProblems.length === 0;
      },
      { timeoutMs: remaining(), intervalMs: 2000, message: "workloads at their desired state" },
    ).catch(() => undefined);
    let criProblems: string[] = [];
    await waitFor(
      async () => {
        criProblems = await containers.compare(podInformer);
        return criProblems.length === 0;
      },
      { timeoutMs: remaining(), intervalMs: 2000, message: `${REAL_NODE}'s containers equal to its pods` },
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
    violations.push(...ledger.violations.map((v) => `ConfigMap ${v.key}: expected ${v.expected}, found ${v.found}`), ...workloadProblems, ...informerProblems, ...criProblems.map((p) => `CRI list vs pods: ${p}`));

    progress(`draining ${REAL_NODE}: its Deployments scaled to 0 and deleted, the node cordoned; then looking for leftovers`);
    const drain = await drainRealNode(admin, node, containers, 120_000);
    stopInformers.abort();
    await Promise.all([completing, sampling]);
    violations.push(...faults.violations, ...containers.violations);
    if (drain.podsLeft.length > 0) violations.push(`pods still bound to ${REAL_NODE} after the drain: ${drain.podsLeft.join(", ")}`);
    for (const [what, xs] of Object.entries(drain.left)) if (xs.length > 0) violations.push(`leaked on ${REAL_NODE} after the drain: ${xs.length} ${what} (${xs.slice(0, 3).join("; ")})`);

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
      jobOvershoots: Object.fromEntries([...jobLoad.overlaps].map(([job, o]) => [job, { most: o.most, longestMs: Math.round(o.longestMs) }])),
      faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, faults.records.get(k)!])),
      nodeCuts: faults.nodeCuts,
      realNode: { samples: containers.samples, mostRunning: containers.mostRunning, mostNftRules: containers.mostNftRules, nftRulesSeen: containers.nftRulesSeen, abandonedStarts: containers.abandonedStarts, sandboxesSeen: containers.sandboxIds.size, podIpsSeen: containers.podIps.size, leftovers: drain.left, podsLeft: drain.podsLeft },
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
      `jobs over their parallelism for a while (a lost create reply, the extra deleted): ${[...jobLoad.overlaps].map(([job, o]) => `${job} ${o.most} pods for ${(o.longestMs / 1000).toFixed(1)} s`).join(", ") || "none"}`,
      `restarts after exits on their own (lost leases): ${cluster.services.map((r) => `${r.name} ${r.unplannedExits}`).join(", ")}`,
      `faults injected ${faults.total}:`,
      ...FAULT_KINDS.map((k) => {
        const r = faults.records.get(k)!;
        const recovery = k.startsWith("cut-") && k !== "cut-etcd-member" ? `, worst recovery after healing ${(r.worstRecoveryMs / 1000).toFixed(1)} s` : "";
        return `  ${k.padEnd(19)} ${String(r.count).padStart(3)}  worst ${k.startsWith("cut-") ? "cut" : "down"} ${(r.worstDownMs / 1000).toFixed(1)} s, worst time without an acknowledged write ${(r.worstWriteGapMs / 1000).toFixed(1)} s${recovery}`;
      }),
      ...faults.nodeCuts.map(
        (c) =>
          `  ${REAL_NODE} cut ${(c.heldMs / 1000).toFixed(1)} s: Unknown after ${c.unknownAfterMs === undefined ? "never" : `${(c.unknownAfterMs / 1000).toFixed(1)} s`}, ${c.evicted} evictable pods evicted, Ready ${c.readyAfterHealMs === undefined ? "never" : `${(c.readyAfterHealMs / 1000).toFixed(1)} s`} after healing`,
      ),
      `${REAL_NODE} (containerd): ${containers.samples} samples of its containers, at most ${containers.mostRunning} running at once, ${containers.sandboxIds.size} sandboxes and ${containers.podIps.size} pod IPs seen, at most ${containers.mostNftRules} nft rule lines naming them; ${nodeLoad.mutations} changes to its Deployments`,
      `  no container ran twice: ${containers.violations.length === 0 ? "yes" : `NO (${containers.violations.length})`} (${containers.abandonedStarts} created but never seen running); CRI list equal to its pods at the end: ${criProblems.length === 0 ? "yes" : `NO (${criProblems.length})`}`,
      `  after the drain: pods bound ${drain.podsLeft.length}, ${Object.entries(drain.left).map(([what, xs]) => `${what} ${(xs as string[]).length}`).join(", ")}`,
      violations.length === 0 ? "violations: none" : `violations (${violations.length}):\n${violations.map((v) => `  ${v}`).join("\n")}`,
      `figures in ${OUTPUT}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    if (violations.length > 0 || lost > 0) {
      process.exitCode = 1;
      await dumpLogs(cluster, node);
      process.stdout.write(`services' logs (SOAK_LOG_LEVEL=${process.env.SOAK_LOG_LEVEL ?? "warn"}) in ${LOG_DIR}\n`);
    }
  } catch (err) {
    await dumpLogs(cluster, realNode).catch(() => undefined);
    throw err;
  } finally {
    stopInformers.abort();
    for (const c of clients) c.close();
    await nc?.close().catch(() => undefined);
    await partitioner?.close().catch(() => undefined);
    await realNode?.stop();
    await cluster?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[soak] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  if (err instanceof Error && err.cause) process.stderr.write(`[soak] cause: ${String((err.cause as Error).stack ?? err.cause)}\n`);
  process.exitCode = 1;
});
