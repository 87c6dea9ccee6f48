// Bounded storage: scheduled compaction by one replica per interval, Events that expire on shared leases.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { kindForResource, registryKey, type ApiObject } from "@kubeplane/api";
import { EtcdStore, isCompacted } from "@kubeplane/storage";
import { etcdCredentials, etcdStoreTls, waitFor } from "@kubeplane/testing";
import { Etcd3 } from "etcd3";
import { startCompactor } from "../src/compactor.js";
import { startTestCluster, type TestCluster } from "./harness.js";

const events = kindForResource("", "events")!;
const configMaps = kindForResource("", "configmaps")!;
const EVENT_TTL_MS = 2_000;

let cluster: TestCluster;
let etcd: Etcd3;
before(async () => {
  // No compaction by the apiserver here: the compactor test drives its own.
  cluster = await startTestCluster({ config: { eventTtl: EVENT_TTL_MS, compactionInterval: 0 } });
  etcd = new Etcd3({ hosts: cluster.etcd.endpoints, credentials: etcdCredentials() });
});
after(async () => {
  etcd?.close();
  await cluster?.stop();
});

function event(name: string): ApiObject {
  return events.codec.fromPartial({
    apiVersion: "v1",
    kind: "Event",
    metadata: { namespace: "default", name },
    involvedObject: { kind: "ConfigMap", namespace: "default", name: "cm" },
    reason: "Tested",
    message: "an event",
    type: "Normal",
    count: 1,
  });
}

/** The etcd lease a stored object is attached to ("0": none). */
async function leaseOf(key: string): Promise<string> {
  const res = await etcd.kv.range({ key: Buffer.from(key) });
  return String(res.kvs[0]?.lease ?? "absent");
}

test("Events expire after eventTtl, updated or not; other objects stay", async () => {
  for (let i = 0; i < 5; i++) await cluster.client.create(events, event(`ev-${i}`));
  await cluster.client.create(configMaps, configMaps.codec.fromPartial({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: "default", name: "stays" } }));
  assert.notEqual(await leaseOf(registryKey(events, "default", "ev-0")), "0");
  assert.equal(await leaseOf(registryKey(configMaps, "default", "stays")), "0");
  // Updating an Event keeps it leased (a put without a lease would detach it for good).
  const updated = await cluster.client.get(events, "default", "ev-0");
  await cluster.client.update(events, { ...updated, count: 2 } as ApiObject);
  assert.notEqual(await leaseOf(registryKey(events, "default", "ev-0")), "0");
  await waitFor(async () => (await cluster.client.list(events, { namespace: "default" })).items.length === 0, { timeoutMs: EVENT_TTL_MS + 10_000, message: "every Event expired" });
  assert.equal((await cluster.client.get(configMaps, "default", "stays")).metadata?.name, "stays");
});

test("every replica runs a compactor, yet one compacts per interval, keeping an interval of history", async () => {
  const stores = [0, 1].map(() => EtcdStore.connect({ tls: etcdStoreTls(), endpoints: cluster.etcd.endpoints }));
  const compactions: { replica: number; revision: number; at: number }[] = [];
  const intervalMs = 400;
  const written: { revision: number; at: number }[] = [];
  const compactors = stores.map((store, replica) => startCompactor(store, { intervalMs, onCompacted: (revision) => compactions.push({ replica, revision, at: Date.now() }) }));
  const started = Date.now();
  try {
    while (Date.now() - started < 8 * intervalMs) {
      const res = await etcd.put("/registry/compactor-test/key").value(String(Date.now())).exec();
      written.push({ revision: Number(res.header.revision), at: Date.now() });
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => compactions.length >= 4, { message: "four compactions" });
  } finally {
    await Promise.all(compactors.map((c) => c.stop()));
  }
  const elapsedRounds = Math.ceil((Date.now() - started) / intervalMs) + 1;
  // The compare-and-swap on compact_rev_key lets one replica win each round.
  assert.ok(compactions.length <= elapsedRounds, `${compactions.length} compactions in ${elapsedRounds} rounds`);
  const revisions = compactions.map((c) => c.revision);
  assert.deepEqual(revisions, [...revisions].sort((a, b) => a - b), "compacted revisions only move forward");
  assert.equal(new Set(revisions).size, revisions.length, "no revision compacted twice");
  // Each compaction keeps the last interval: what was written within it is still readable.
  for (const c of compactions) {
    const recent = written.filter((w) => w.at > c.at - intervalMs * 0.5 && w.at <= c.at);
    for (const w of recent) assert.ok(w.revision >= c.revision, `revision ${w.revision} written ${c.at - w.at} ms before a compaction to ${c.revision}`);
  }
  const last = compactions.at(-1)!.revision;
  await assert.rejects(stores[0]!.list("/registry/compactor-test/", { revision: last - 1 }), (err: unknown) => isCompacted(err));
  assert.ok((await stores[0]!.list("/registry/compactor-test/", { revision: last })).items.length === 1);
  for (const store of stores) store.close();
});
