// Watches and informers on real etcd and NATS: order, resume, Gone, and convergence after NATS
// restarts, a killed publishing apiserver and a burst of 10,000 writes.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { isGone, kindFor, type ApiObject } from "@kubeplane/api";
import { ApiClient, Informer, type WatchEvent } from "@kubeplane/client";
import { clientTls, waitFor } from "@kubeplane/testing";
import { spawnApiserver, type ApiserverProcess } from "./apiserver-process.js";
import { minimalObject } from "./fixtures.js";
import { startTestCluster, type TestCluster } from "./harness.js";
import { InformerTracker, sameVersions, versions } from "./informer-tracker.js";

const configMaps = kindFor("v1", "ConfigMap")!;
const namespaces = kindFor("v1", "Namespace")!;

const cm = (namespace: string, name: string, value = "0"): ApiObject =>
  configMaps.codec.fromPartial({ ...minimalObject(configMaps, name), metadata: { name, namespace }, data: { v: value } });

async function collect(iter: AsyncIterable<WatchEvent<ApiObject>>, out: WatchEvent<ApiObject>[]): Promise<void> {
  for await (const ev of iter) out.push(ev);
}

/** The informer's cache converges to a fresh List. */
async function converges(cluster: TestCluster, informer: Informer<ApiObject>, namespace: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async () => {
      const list = await cluster.client.listAll(configMaps, { namespace });
      return sameVersions(versions(informer.lister.list()), versions(list.items));
    },
    { timeoutMs, message: `informer cache of ${namespace} equals a fresh list` },
  );
}

describe("gRPC watch", () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster();
    await cluster.client.create(namespaces, minimalObject(namespaces, "w"));
  });
  after(async () => {
    await cluster?.stop();
  });

  test("a watch sees ADDED, MODIFIED and DELETED in revision order", async () => {
    const { client } = cluster;
    const start = await client.list(configMaps, { namespace: "w" });
    const controller = new AbortController();
    const events: WatchEvent<ApiObject>[] = [];
    const done = collect(client.watch(configMaps, { namespace: "w", resourceVersion: start.resourceVersion, signal: controller.signal }), events);
    const created = await client.create(configMaps, cm("w", "a"));
    const updated = await client.update(configMaps, { ...created, data: { v: "1" } } as ApiObject);
    await client.delete(configMaps, "w", "a");
    await waitFor(() => events.length >= 3, { message: "three events" });
    controller.abort();
    await done;
    assert.deepEqual(events.map((e) => e.type), ["ADDED", "MODIFIED", "DELETED"]);
    assert.equal(String(events[0]!.revision), created.metadata!.resourceVersion);
    assert.equal(String(events[1]!.revision), updated.metadata!.resourceVersion);
    assert.ok(events[2]!.revision > events[1]!.revision);
    assert.equal(events[2]!.object.metadata!.name, "a");
  });

  test("resuming from an old resourceVersion replays the gap; without one, current objects come as ADDED first", async () => {
    const { client } = cluster;
    const before = await client.list(configMaps, { namespace: "w" });
    for (let i = 0; i < 5; i++) await client.create(configMaps, cm("w", `r${i}`));
    const controller = new AbortController();
    const events: WatchEvent<ApiObject>[] = [];
    const done = collect(client.watch(configMaps, { namespace: "w", resourceVersion: before.resourceVersion, signal: controller.signal }), events);
    await waitFor(() => events.length >= 5, { message: "the five replayed events" });
    assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata!.name}`), ["ADDED r0", "ADDED r1", "ADDED r2", "ADDED r3", "ADDED r4"]);
    controller.abort();
    await done;

    const fresh: WatchEvent<ApiObject>[] = [];
    const c2 = new AbortController();
    const done2 = collect(client.watch(configMaps, { namespace: "w", signal: c2.signal, labelSelector: "" }), fresh);
    await waitFor(() => fresh.length >= 5, { message: "the initial ADDED events" });
    await client.delete(configMaps, "w", "r0");
    await waitFor(() => fresh.some((e) => e.type === "DELETED"), { message: "the delete after the initial state" });
    c2.abort();
    await done2;
    assert.deepEqual(fresh.slice(0, 5).map((e) => e.type), ["ADDED", "ADDED", "ADDED", "ADDED", "ADDED"]);
  });

  test("a label-selected watch turns an object leaving the selection into DELETED", async () => {
    const { client } = cluster;
    const obj = await client.create(configMaps, configMaps.codec.fromPartial({ ...cm("w", "sel"), metadata: { name: "sel", namespace: "w", labels: { team: "a" } } }));
    const controller = new AbortController();
    const events: WatchEvent<ApiObject>[] = [];
    const done = collect(client.watch(configMaps, { namespace: "w", labelSelector: "team=a", signal: controller.signal }), events);
    await waitFor(() => events.length >= 1, { message: "initial ADDED" });
    obj.metadata!.labels = { team: "b" };
    await client.update(configMaps, obj);
    await waitFor(() => events.length >= 2, { message: "the object leaving the selection" });
    controller.abort();
    await done;
    assert.deepEqual(events.map((e) => e.type), ["ADDED", "DELETED"]);
  });
});

describe("watch history", () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ config: { watchStreamMaxMessages: 20 } });
  });
  after(async () => {
    await cluster?.stop();
  });

  test("a resourceVersion older than the stream keeps is Gone", async () => {
    const { client } = cluster;
    const start = await client.list(configMaps, { namespace: "default" });
    for (let i = 0; i < 40; i++) await client.create(configMaps, cm("default", `old-${i}`));
    // The publisher trims the stream to 20 messages once they are published.
    await waitFor(async () => (await cluster.watch.jsm.streams.info("KP_WATCH")).state.first_seq > 5, { message: "stream trimmed" });
    const controller = new AbortController();
    await assert.rejects(
      (async () => {
        for await (const _ of client.watch(configMaps, { namespace: "default", resourceVersion: start.resourceVersion, signal: controller.signal })) {
          assert.fail("no event expected before Gone");
        }
      })(),
      (err: unknown) => isGone(err),
    );
    controller.abort();
  });
});

describe("informers", () => {
  let cluster: TestCluster;
  const processes: ApiserverProcess[] = [];
  before(async () => {
    // The in-process apiserver serves requests but does not publish: the publishers are child processes a test can kill.
    cluster = await startTestCluster({ config: { publishWatchEvents: false } });
    for (const ns of ["inf-nats", "inf-kill", "inf-burst"]) await cluster.client.create(namespaces, minimalObject(namespaces, ns));
  });
  after(async () => {
    await Promise.allSettled(processes.map((p) => p.kill("SIGKILL")));
    await cluster?.stop();
  });

  const flags = (): Record<string, string> => ({
    "etcd-endpoints": cluster.etcd.endpoints.join(","),
    "nats-url": cluster.nats.url,
    "leader-lease-ttl": "2s",
  });

  async function startInformer(namespace: string, signal: AbortSignal): Promise<{ informer: Informer<ApiObject>; tracker: InformerTracker<ApiObject>; running: Promise<void> }> {
    const informer = new Informer<ApiObject>({ client: cluster.client, watch: cluster.watch, kind: configMaps, namespace });
    const tracker = new InformerTracker(informer);
    const running = informer.run(signal);
    await informer.waitForSync(signal);
    return { informer, tracker, running };
  }

  test("the cache equals a fresh list after NATS restarts mid-stream, with no change told twice", async () => {
    const publisher = await spawnApiserver({ ...flags(), identity: "pub-nats" });
    processes.push(publisher);
    await waitFor(() => publisher.isLeader(), { message: "the child apiserver leads" });
    const controller = new AbortController();
    const { informer, tracker, running } = await startInformer("inf-nats", controller.signal);
    const writes = (async () => {
      for (let i = 0; i < 200; i++) {
        const name = `k${i % 40}`;
        const existing = await cluster.client.get(configMaps, "inf-nats", name).catch(() => undefined);
        if (!existing) await cluster.client.create(configMaps, cm("inf-nats", name, String(i)));
        else if (i % 7 === 0) await cluster.client.delete(configMaps, "inf-nats", name);
        else await cluster.client.update(configMaps, { ...existing, data: { v: String(i) } } as ApiObject);
      }
    })();
    await waitFor(() => tracker.adds > 10, { message: "events flowing" });
    await cluster.nats.restart();
    await writes;
    await converges(cluster, informer, "inf-nats");
    controller.abort();
    await running;
    assert.deepEqual(tracker.violations, []);
    await publisher.kill();
  });

  test("the cache equals a fresh list after the publishing apiserver is killed and a standby takes over", async () => {
    const first = await spawnApiserver({ ...flags(), identity: "pub-a" });
    processes.push(first);
    await waitFor(() => first.isLeader(), { message: "pub-a leads", timeoutMs: 15_000 });
    const standby = await spawnApiserver({ ...flags(), identity: "pub-b" });
    processes.push(standby);
    const controller = new AbortController();
    const { informer, tracker, running } = await startInformer("inf-kill", controller.signal);
    const writes = (async () => {
      for (let i = 0; i < 300; i++) await cluster.client.create(configMaps, cm("inf-kill", `o${i}`));
    })();
    await waitFor(() => tracker.adds > 50, { message: "events flowing" });
    await first.kill("SIGKILL");
    await writes;
    await waitFor(() => standby.isLeader(), { message: "the standby leads", timeoutMs: 15_000 });
    await converges(cluster, informer, "inf-kill");
    controller.abort();
    await running;
    assert.deepEqual(tracker.violations, []);
    assert.equal(tracker.adds, 300);
    await standby.kill();
  });

  test("the cache equals a fresh list after a burst of 10,000 writes, each told once", async () => {
    const publisher = await spawnApiserver({ ...flags(), identity: "pub-burst" });
    processes.push(publisher);
    await waitFor(() => publisher.isLeader(), { message: "the burst publisher leads", timeoutMs: 15_000 });
    const controller = new AbortController();
    const { informer, tracker, running } = await startInformer("inf-burst", controller.signal);
    const clients = Array.from({ length: 4 }, () => ApiClient.connect({ ...clientTls(), server: cluster.apiservers[0]!.addresses.grpcAddress }));
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async (_, w) => {
        const client = clients[w % clients.length]!;
        for (let i = next++; i < 10_000; i = next++) await client.create(configMaps, cm("inf-burst", `b${i}`));
      }),
    );
    for (const c of clients) c.close();
    await converges(cluster, informer, "inf-burst", 60_000);
    controller.abort();
    await running;
    assert.deepEqual(tracker.violations, []);
    assert.equal(informer.lister.size, 10_000);
    assert.equal(tracker.adds, 10_000);
    assert.equal(tracker.updates + tracker.deletes, 0);
    await publisher.kill();
  });
});
