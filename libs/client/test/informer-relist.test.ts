// Informers after lost watch history: a NATS outage longer than the stream's history, a compaction past the publisher, the periodic relist; waitForCacheSync's reports while NATS is down.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { isNotFound, kindForResource, type ApiObject } from "@kubeplane/api";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { apiserverTlsFlags, clientOptions, etcdClientTls, natsOptions, startControlPlane, startTcpProxy, testPki, waitFor, type ControlPlane, type TcpProxy } from "@kubeplane/testing";
import { KP_WATCH } from "@kubeplane/watch";
import { connect, type NatsConnection } from "nats";
import { ApiClient, Informer, SharedInformerFactory, objectKey, type InformerMetrics, type InformerOptions, type WatchConnection } from "../src/index.js";

const configMaps = kindForResource("", "configmaps")!;
const namespaces = kindForResource("", "namespaces")!;
/** Small enough that 50 writes overflow it: the history an informer would need is gone. */
const STREAM_MAX_MESSAGES = 10;

let cp: ControlPlane;
let client: ApiClient;
let nc: NatsConnection;
/** The informers' way to NATS: held shut while the apiserver republishes after an outage, so they cannot keep pace with it. */
let natsProxy: TcpProxy;
let watch: WatchConnection;
const stop = new AbortController();
const informers: { name: string; informer: Informer<ApiObject>; scope: { namespace?: string; labelSelector?: string } }[] = [];

before(async () => {
  await testPki();
  cp = await startControlPlane({ apiserverFlags: { ...apiserverTlsFlags(), "watch-stream-max-messages": String(STREAM_MAX_MESSAGES) } });
  client = ApiClient.connect(clientOptions(cp.apiserver.grpcAddress));
  natsProxy = await startTcpProxy(cp.nats.url.replace(/^[a-z]+:\/\//, ""));
  // A handshake held by the proxy gives up after 2 s (nats.js waits 20 s by default), so the informers are back soon after it resumes.
  nc = await connect({ ...natsOptions(`tls://${natsProxy.address}`, "admin"), maxReconnectAttempts: -1, reconnectTimeWait: 100, timeout: 2000 });
  watch = { js: nc.jetstream(), jsm: await nc.jetstreamManager() };
  for (const ns of ["relist-a", "relist-b"]) await client.create(namespaces, namespaces.codec.fromPartial({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }));
  const scopes: [string, { namespace?: string; labelSelector?: string }][] = [
    ["unfiltered (every namespace)", {}],
    ["namespace relist-a (a subject filter)", { namespace: "relist-a" }],
    ["namespace relist-b (a subject filter)", { namespace: "relist-b" }],
    ["label team=x (a selector)", { labelSelector: "team=x" }],
  ];
  for (const [name, scope] of scopes) {
    const informer = new Informer<ApiObject>({ client, watch, kind: configMaps, ...scope, maxRetryDelayMs: 500 });
    void informer.run(stop.signal);
    informers.push({ name, informer, scope });
  }
  await Promise.all(informers.map((i) => i.informer.waitForSync()));
});

after(async () => {
  stop.abort();
  client?.close();
  await nc?.close();
  await natsProxy?.close();
  await cp?.stop();
});

/** key → resourceVersion of a cache or a list. */
function versions(objects: ApiObject[]): Map<string, string> {
  return new Map(objects.map((o) => [objectKey(o), o.metadata?.resourceVersion ?? ""]));
}

/** Waits until every informer's cache equals a fresh List of its scope (keys and resourceVersions). */
async function waitForInformersToEqualLists(message: string): Promise<void> {
  await waitFor(
    async () => {
      for (const { name, informer, scope } of informers) {
        const list = await client.listAll(configMaps, scope);
        const want = versions(list.items as ApiObject[]);
        const have = versions(informer.lister.list());
        // Thrown, so a timeout names the informer that lags.
        if (JSON.stringify([...want].sort()) !== JSON.stringify([...have].sort())) throw new Error(`${name}: cache ${have.size} objects, list ${want.size}`);
      }
      return true;
    },
    { timeoutMs: 30_000, intervalMs: 200, message },
  );
}

/** `count` writes spread over both namespaces: creates, label flips, updates and deletes. */
async function churn(round: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const namespace = i % 2 ? "relist-a" : "relist-b";
    const name = `${round}-${i % 7}`;
    const labels = { team: i % 3 ? "x" : "y" };
    try {
      const current = await client.get(configMaps, namespace, name);
      if (i % 5 === 0) await client.delete(configMaps, namespace, name);
      else await client.update(configMaps, { ...current, metadata: { ...current.metadata!, labels }, data: { i: String(i) } } as ApiObject);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await client.create(configMaps, configMaps.codec.fromPartial({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace, name, labels }, data: { i: String(i) } }));
    }
  }
}

function relistCounts(): number[] {
  return informers.map((i) => i.informer.relists);
}

test("NATS stopped, 50 writes, watch history exceeded, NATS restarted: every informer equals a fresh List", async () => {
  await churn("before", 10);
  await waitForInformersToEqualLists("informers current before the outage");
  const relistsBefore = relistCounts();
  const lastSeqBefore = (await watch.jsm.streams.info(KP_WATCH)).state.last_seq;
  await cp.nats.kill();
  await churn("outage", 50);
  // The apiserver republishes the 50 changes as soon as NATS is back, far past the stream's 10 messages. An informer
  // reconnected by then could follow the burst and lose nothing; held off until it is over, each one has lost history.
  natsProxy.hang();
  await cp.nats.restart();
  const direct = await connect({ ...natsOptions(cp.nats.url, "admin"), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  try {
    const jsm = await direct.jetstreamManager();
    await waitFor(async () => (await jsm.streams.info(KP_WATCH)).state.last_seq >= lastSeqBefore + 50, { timeoutMs: 30_000, message: "the apiserver republished the outage's 50 changes" });
  } finally {
    await direct.close();
  }
  natsProxy.resume();
  await waitForInformersToEqualLists("informers equal fresh lists after the outage");
  // Each one had lost events it needed (or could not prove it had not): each relisted.
  relistCounts().forEach((n, i) => assert.ok(n > relistsBefore[i]!, `${informers[i]!.name} relisted`));
  // And they keep following the stream afterwards.
  await churn("after", 5);
  await waitForInformersToEqualLists("informers follow the stream after relisting");
});

test("a compaction past the publisher's resume point: every informer equals a fresh List", async () => {
  await waitForInformersToEqualLists("informers current before the compaction");
  const relistsBefore = relistCounts();
  await cp.nats.kill();
  await churn("compacted", 20);
  // Compact to etcd's current revision: the publisher cannot read the changes it has not published.
  const { caFile, certFile, keyFile } = etcdClientTls();
  const etcdctl = async (...args: string[]): Promise<string> =>
    (await promisify(execFile)("etcdctl", [`--endpoints=${cp.etcd.endpoints.join(",")}`, `--cacert=${caFile}`, `--cert=${certFile}`, `--key=${keyFile}`, ...args])).stdout;
  const [status] = JSON.parse(await etcdctl("endpoint", "status", "-w", "json")) as { Status: { header: { revision: number } } }[];
  await etcdctl("compaction", "--physical", String(status!.Status.header.revision));
  await cp.nats.restart();
  await waitForInformersToEqualLists("informers equal fresh lists after the compaction");
  relistCounts().forEach((n, i) => assert.ok(n > relistsBefore[i]!, `${informers[i]!.name} relisted`));
});

test("the periodic relist repairs a cache no event reaches, and tells handlers only real changes", async () => {
  // Subscribed to a subject nothing is published on: only the periodic relist can keep it current.
  const options: InformerOptions<ApiObject> = { client, watch, kind: configMaps, namespace: "relist-a", filterSubjects: ["kp.watch.configmaps.nowhere.>"], resyncPeriodMs: 300 };
  const deaf = new Informer<ApiObject>(options);
  const calls = { add: 0, update: 0, delete: 0 };
  deaf.addEventHandler({ onAdd: () => calls.add++, onUpdate: () => calls.update++, onDelete: () => calls.delete++ });
  const local = new AbortController();
  void deaf.run(local.signal);
  try {
    await deaf.waitForSync();
    const synced = deaf.lister.list().length;
    assert.equal(calls.add, synced);
    // Relists with nothing changed notify nobody.
    const relists = deaf.relists;
    await waitFor(() => deaf.relists >= relists + 3, { message: "three periodic relists" });
    assert.deepEqual(calls, { add: synced, update: 0, delete: 0 });
    // A write reaches it through the next relist: one onAdd, nothing else.
    await client.create(configMaps, configMaps.codec.fromPartial({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: "relist-a", name: "resync-only" } }));
    await waitFor(() => deaf.lister.list().some((o) => o.metadata?.name === "resync-only"), { message: "the relist brings the new object" });
    assert.deepEqual(calls, { add: synced + 1, update: 0, delete: 0 });
  } finally {
    local.abort();
  }
});

test("while NATS is down, waitForCacheSync logs which informer is not synced and its last error; it syncs once NATS is back", async () => {
  await cp.nats.kill();
  const warnings: string[] = [];
  const logger = { info: () => undefined, warn: (_obj: object, msg: string) => warnings.push(msg) };
  const synced = new Map<string, boolean>();
  const failures: string[] = [];
  const metrics: InformerMetrics = {
    consumerCreation: () => undefined,
    consumerRecreated: () => undefined,
    watchFailure: (resource, reason) => failures.push(`${resource}:${reason}`),
    synced: (resource, value) => synced.set(resource, value),
  };
  // Short JetStream API timeouts, so a request to the stopped server fails fast.
  const fastWatch = { js: nc.jetstream({ timeout: 500 }), jsm: await nc.jetstreamManager({ timeout: 500, checkAPI: false }) };
  const local = new AbortController();
  const factory = new SharedInformerFactory(client, fastWatch, { logger, metrics, syncReportIntervalMs: 300 });
  factory.informerFor(configMaps);
  factory.start(local.signal);
  try {
    const waiting = factory.waitForCacheSync(AbortSignal.any([local.signal, AbortSignal.timeout(60_000)]));
    const report = await waitFor(() => warnings.find((w) => w.startsWith("waiting for informer caches to sync") && /ConfigMap \(\d+ attempts, last: .+\)/.test(w)), {
      timeoutMs: 10_000,
      message: "a sync report naming the ConfigMap informer and its last error",
    });
    assert.match(report, /TIMEOUT|timeout|disconnect|connection/i);
    assert.equal(factory.unsynced().length, 1);
    assert.ok(factory.unsynced()[0]!.lastError);
    assert.equal(synced.get("configmaps"), false);
    assert.ok(failures.some((f) => f.startsWith("configmaps:")), "a watch failure was counted");

    await cp.nats.restart();
    await waiting;
    assert.deepEqual(factory.unsynced(), []);
    assert.equal(synced.get("configmaps"), true);
  } finally {
    local.abort();
  }
});
