// An etcd member cut off (nftables drops in the test's network namespace): writes through the apiserver keep being acknowledged, none is lost, and the member catches up after healing.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { kindForResource, type ApiObject } from "@kubeplane/api";
import { enterTestNetns, etcdClientTls, httpProbe, startPartitioner, waitFor, type EtcdMember, type Partitioner } from "@kubeplane/testing";
import { minimalObject } from "./fixtures.js";
import { startTestCluster, type TestCluster } from "./harness.js";

await enterTestNetns(import.meta.url);

const configMaps = kindForResource("", "configmaps")!;
const CLIENT_TIMEOUT_MS = 15_000; // the harness's client deadline
const PREFIX = "/registry/core/configmaps/default/";

let cluster: TestCluster;
let partitioner: Partitioner;
before(async () => {
  cluster = await startTestCluster({ etcdMembers: 3, etcdCgroups: true });
  partitioner = await startPartitioner();
});
after(async () => {
  await partitioner?.close();
  await cluster?.stop();
});

const portOf = (url: string): number => Number(new URL(url).port);

/** Writers creating ConfigMaps through the apiserver, keeping a ledger of what was acknowledged and when. */
class Writers {
  readonly acked = new Map<string, number>();
  readonly failures: string[] = [];
  slowestMs = 0;
  #n = 0;
  #stop = false;
  readonly #done: Promise<void[]>;

  constructor(
    readonly prefix: string,
    count: number,
  ) {
    this.#done = Promise.all(Array.from({ length: count }, () => this.#loop()));
  }

  async #loop(): Promise<void> {
    while (!this.#stop) {
      const name = `${this.prefix}-${this.#n++}`;
      const started = Date.now();
      try {
        await cluster.client.create(configMaps, minimalObject(configMaps, name) as ApiObject);
        this.acked.set(name, Date.now());
      } catch (err) {
        this.failures.push(`${name}: ${(err as Error).message.slice(0, 120)}`);
      }
      this.slowestMs = Math.max(this.slowestMs, Date.now() - started);
    }
  }

  ackedBetween(from: number, to: number): number {
    return [...this.acked.values()].filter((t) => t >= from && t < to).length;
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#done;
  }
}

/** Waits `ms` while the writers run (the length of a fault window, not a readiness wait). */
const during = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The ConfigMap names the apiserver lists. Right after healing, etcd may be electing (3.4 without
 * --pre-vote: the returning member's higher term unseats the leader) and the list answer 503: retried.
 */
async function storedNames(): Promise<Set<string>> {
  const list = await waitFor(() => cluster.client.list(configMaps, { namespace: "default" }).catch(() => undefined), { timeoutMs: 30_000, message: "a list after healing" });
  return new Set(list.items.map((o) => o.metadata!.name));
}

/** A member's own view (serializable: no quorum needed): its revision and the ConfigMap keys it holds. */
async function memberView(m: EtcdMember): Promise<{ revision: number; keys: number }> {
  const b64 = (s: string): string => Buffer.from(s).toString("base64");
  const end = PREFIX.slice(0, -1) + String.fromCharCode(PREFIX.charCodeAt(PREFIX.length - 1) + 1);
  const res = await httpProbe("POST", `${m.clientUrl}/v3/kv/range`, { key: b64(PREFIX), range_end: b64(end), count_only: true, serializable: true }, 5_000, etcdClientTls());
  const body = res.body as { header?: { revision?: string }; count?: string };
  if (res.status !== 200) throw new Error(`range on ${m.name}: ${res.status}`);
  return { revision: Number(body.header?.revision ?? 0), keys: Number(body.count ?? 0) };
}

test("apiserver ↔ the etcd leader's client port cut: writes go on through the other members, every call ends by its deadline, nothing acknowledged is lost", async (t) => {
  const writers = new Writers("leader-cut", 4);
  try {
    await waitFor(() => writers.acked.size >= 20, { timeoutMs: 30_000, message: "writes flowing before the cut" });
    const leader = await cluster.etcd.leader();
    const cutAt = Date.now();
    const cut = await partitioner.cut([portOf(leader.clientUrl)]);
    await during(12_000);
    const healedAt = Date.now();
    await cut.heal();
    // Within the first request deadline (10 s) calls pinned to the cut member may hang; after it, writes flow.
    const late = writers.ackedBetween(cutAt + 10_500, healedAt);
    t.diagnostic(`cut ${leader.name}'s client port: ${writers.ackedBetween(cutAt, cutAt + 10_500)} writes acknowledged in the first 10.5 s, ${late} in the last 1.5 s; failures ${writers.failures.length} (${[...new Set(writers.failures.map((f) => f.replace(/^\S+: /, "")))].join("; ")}); slowest call ${writers.slowestMs} ms`);
    assert.ok(writers.ackedBetween(cutAt, cutAt + 5_000) > 0, "writes were acknowledged within 5 s of the cut");
    assert.ok(late > 0, "writes keep being acknowledged once the cut member's calls have timed out");
  } finally {
    await writers.stop();
  }
  assert.ok(writers.slowestMs < CLIENT_TIMEOUT_MS + 2_000, `a call took ${writers.slowestMs} ms: it hung past its deadline`);
  const stored = await storedNames();
  const lost = [...writers.acked.keys()].filter((n) => !stored.has(n));
  assert.deepEqual(lost, [], "acknowledged writes missing");
});

test("a follower cut off from the apiserver and its peers: writes go on, nothing acknowledged is lost, the member catches up after healing", async (t) => {
  const leader = await cluster.etcd.leader();
  const follower = cluster.etcd.members.find((m) => m !== leader)!;
  const writers = new Writers("follower-cut", 4);
  let behind: { revision: number; keys: number };
  // etcd logs a peer it cannot reach as inactive: evidence the isolation cut the raft traffic too.
  const inactivePeerLines = (): number => cluster.etcd.logs().split("\n").filter((l) => l.includes("became inactive")).length;
  const inactiveAtStart = inactivePeerLines();
  let inactiveBefore = inactiveAtStart;
  try {
    await waitFor(() => writers.acked.size >= 20, { timeoutMs: 30_000, message: "writes flowing before the cut" });
    const before = writers.acked.size;
    const cutAt = Date.now();
    // Its own ports alone would not do: it also dials its peers (from ephemeral ports), so isolate its cgroup.
    const cut = await partitioner.isolate(follower.cgroup!);
    await during(12_000);
    const acked = writers.ackedBetween(cutAt, Date.now());
    inactiveBefore = inactivePeerLines();
    t.diagnostic(`isolated ${follower.name}: ${acked} writes acknowledged during 12 s; failures ${writers.failures.length} (${[...new Set(writers.failures.map((f) => f.replace(/^\S+: /, "")))].join("; ")}); slowest call ${writers.slowestMs} ms`);
    assert.ok(acked > 0 && writers.acked.size > before, "writes were acknowledged while a follower was isolated");
    await cut.heal();
  } finally {
    await writers.stop();
  }
  assert.ok(inactiveBefore > inactiveAtStart, "the leader saw the isolated follower's raft connection fail");
  const leaderView = await memberView(leader);
  behind = await memberView(follower);
  t.diagnostic(`leader before the cut ${leader.name}, after healing ${(await cluster.etcd.leader()).name}; after healing: ${follower.name} at revision ${behind.revision} with ${behind.keys} keys, leader at ${leaderView.revision} with ${leaderView.keys}`);
  behind = await waitFor(async () => {
    const view = await memberView(follower).catch(() => undefined);
    return view && view.revision >= leaderView.revision && view.keys >= leaderView.keys ? view : undefined;
  }, { timeoutMs: 30_000, message: `${follower.name} catches up with the leader` });
  assert.ok(behind.keys >= writers.acked.size, `${follower.name} holds ${behind.keys} ConfigMaps, ${writers.acked.size} were acknowledged`);
  assert.ok(writers.slowestMs < CLIENT_TIMEOUT_MS + 2_000, `a call took ${writers.slowestMs} ms: it hung past its deadline`);
  const stored = await storedNames();
  assert.deepEqual([...writers.acked.keys()].filter((n) => !stored.has(n)), [], "acknowledged writes missing");
});
