// Leader election through a Lease in a real apiserver: one leader, hand-over on release, on a silent leader and on a hung connection.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { kindFor } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { apiserverTlsFlags, clientOptions, testPki, startEtcd, startNats, startServiceProcess, startTcpProxy, waitFor, type EtcdCluster, type NatsServer, type ServiceProcess } from "@kubeplane/testing";
import { LeaseElection, LeaseLostError } from "../src/index.js";

const apiserverMain = fileURLToPath(new URL("../../../services/apiserver/src/main.ts", import.meta.url));
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let etcd: EtcdCluster;
let nats: NatsServer;
let apiserver: ServiceProcess;

before(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  await testPki();
  apiserver = await startServiceProcess({ entry: apiserverMain, flags: { "etcd-endpoints": etcd.endpoints.join(","), "nats-url": nats.url, ...apiserverTlsFlags() } });
});
after(async () => {
  await apiserver?.kill();
  await Promise.allSettled([etcd?.stop(), nats?.stop()]);
});

function campaigner(name: string, identity: string, client: ApiClient) {
  const state = { leading: false, terms: 0 };
  const election = new LeaseElection(client, {
    namespace: "kube-system",
    name,
    identity,
    leaseDurationMs: 1500,
    renewDeadlineMs: 1000,
    retryPeriodMs: 200,
    logger: quiet,
    onChange: (leading) => {
      state.leading = leading;
      if (leading) state.terms++;
    },
  });
  const controller = new AbortController();
  const done = election.run(controller.signal, (term) => new Promise<void>((resolve) => term.addEventListener("abort", () => resolve(), { once: true })));
  return { state, controller, done };
}

test("only one campaigner leads; a released lease passes to the standby at once", async () => {
  const client = ApiClient.connect(clientOptions(apiserver.grpcAddress));
  const a = campaigner("release-test", "a", client);
  await waitFor(() => a.state.leading, { message: "a leads" });
  const b = campaigner("release-test", "b", client);
  const lease = await client.get(kindFor("coordination.k8s.io/v1", "Lease")!, "kube-system", "release-test");
  assert.equal((lease as unknown as { spec: { holderIdentity: string } }).spec.holderIdentity, "a");
  assert.equal(b.state.leading, false);
  a.controller.abort();
  assert.equal(await a.done, true, "an aborted leader reports a clean end");
  const started = Date.now();
  await waitFor(() => b.state.leading, { message: "b leads after a released" });
  assert.ok(Date.now() - started < 1500, "the standby took over before the lease would have expired");
  b.controller.abort();
  await b.done;
  client.close();
});

test("a leader that stops renewing steps down, and the standby takes over after the lease expires", async () => {
  const clientA = ApiClient.connect(clientOptions(apiserver.grpcAddress));
  const clientB = ApiClient.connect(clientOptions(apiserver.grpcAddress));
  const a = campaigner("silent-test", "a", clientA);
  await waitFor(() => a.state.leading, { message: "a leads" });
  const b = campaigner("silent-test", "b", clientB);
  clientA.close(); // a can no longer renew, as if partitioned from the apiserver
  assert.equal(await a.done, false, "a reports that it lost leadership");
  await waitFor(() => b.state.leading, { timeoutMs: 5000, message: "b leads once a's lease expired" });
  b.controller.abort();
  await b.done;
  clientB.close();
});

test("renewDeadline must be shorter than leaseDuration, and retryPeriod shorter than renewDeadline", () => {
  const client = ApiClient.connect(clientOptions(apiserver.grpcAddress));
  const base = { namespace: "kube-system", name: "config-test", identity: "a", logger: quiet };
  assert.throws(() => new LeaseElection(client, { ...base, leaseDurationMs: 1000, renewDeadlineMs: 1000 }), RangeError);
  assert.throws(() => new LeaseElection(client, { ...base, leaseDurationMs: 1000, renewDeadlineMs: 1500 }), RangeError);
  assert.throws(() => new LeaseElection(client, { ...base, renewDeadlineMs: 1000, retryPeriodMs: 1000 }), RangeError);
  assert.ok(new LeaseElection(client, { ...base }));
  client.close();
});

test("a leader whose connection hangs stops acting before the standby starts: acting intervals never overlap", async () => {
  const proxy = await startTcpProxy(apiserver.grpcAddress);
  const clientA = ApiClient.connect(clientOptions(proxy.address));
  const clientB = ApiClient.connect(clientOptions(apiserver.grpcAddress));
  /** Acting intervals, in performance.now() ms; `end` is set when the term signal aborts. */
  const intervals: { who: string; start: number; end?: number; reason?: unknown }[] = [];
  const acting = new Set<string>();
  let overlapSeen = false;
  const campaign = (who: string, client: ApiClient) => {
    const election = new LeaseElection(client, {
      namespace: "kube-system",
      name: "fencing-test",
      identity: who,
      leaseDurationMs: 1500,
      renewDeadlineMs: 1000,
      retryPeriodMs: 200,
      logger: quiet,
    });
    const controller = new AbortController();
    const done = election.run(controller.signal, async (term) => {
      const interval: (typeof intervals)[number] = { who, start: performance.now() };
      intervals.push(interval);
      term.addEventListener("abort", () => {
        interval.end = performance.now();
        interval.reason = term.reason;
      }, { once: true });
      acting.add(who);
      // The work a leader does: it checks, every few ms, that no one else acts at the same time.
      while (!term.aborted) {
        if (acting.size > 1) overlapSeen = true;
        await new Promise((r) => setTimeout(r, 5));
      }
      acting.delete(who);
    });
    return { controller, done, election };
  };
  const a = campaign("a", clientA);
  await waitFor(() => intervals.some((i) => i.who === "a"), { message: "a leads" });
  const aInterval = intervals.find((i) => i.who === "a")!;
  const b = campaign("b", clientB);
  await new Promise((r) => setTimeout(r, 600)); // b has observed a's renewals (a poll is 200 ms)
  const hungAt = performance.now();
  proxy.hang();
  assert.equal(await a.done, false, "a reports that it lost leadership");
  assert.ok(aInterval.reason instanceof LeaseLostError, "a's term ended by its renew deadline");
  await waitFor(() => intervals.some((i) => i.who === "b"), { timeoutMs: 10_000, message: "b leads once a's lease expired" });
  const bInterval = intervals.find((i) => i.who === "b")!;
  assert.ok(aInterval.end! - hungAt < 1500, `a stopped ${Math.round(aInterval.end! - hungAt)} ms after the hang: bounded by renewDeadline, not the client's 30 s`);
  assert.ok(aInterval.end! < bInterval.start, `a acted until ${aInterval.end}, b from ${bInterval.start}`);
  assert.equal(overlapSeen, false, "both acted at one instant");
  b.controller.abort();
  await b.done;
  proxy.resume();
  clientA.close();
  clientB.close();
  await proxy.close();
});

test("a standby counts a renewal from when its read returned: a slow read of a fresh renewal does not let it take over while the old leader acts", async () => {
  const proxy = await startTcpProxy(apiserver.grpcAddress);
  const clientA = ApiClient.connect(clientOptions(proxy.address));
  const clientB = ApiClient.connect(clientOptions(apiserver.grpcAddress));
  // B's reads can be held before they are sent: the read then returns a renewal newer than the call's start.
  let holdNextRead = 0;
  let heldReadStarted: number | undefined;
  let readsB = 0;
  const slowB = Object.create(clientB) as ApiClient;
  slowB.get = async (...args: Parameters<ApiClient["get"]>) => {
    readsB++;
    if (holdNextRead > 0) {
      const ms = holdNextRead;
      holdNextRead = 0;
      heldReadStarted = performance.now();
      await new Promise((r) => setTimeout(r, ms));
    }
    return clientB.get(...args);
  };
  const timing = { leaseDurationMs: 2500, renewDeadlineMs: 2000, retryPeriodMs: 200 };
  const intervals: { who: string; start: number; end?: number }[] = [];
  const campaign = (who: string, client: ApiClient) => {
    const election = new LeaseElection(client, { namespace: "kube-system", name: "observe-test", identity: who, ...timing, logger: quiet });
    const controller = new AbortController();
    const done = election.run(controller.signal, async (term) => {
      const interval: (typeof intervals)[number] = { who, start: performance.now() };
      intervals.push(interval);
      await new Promise<void>((resolve) => term.addEventListener("abort", () => resolve(), { once: true }));
      interval.end = performance.now();
    });
    return { controller, done };
  };
  const a = campaign("a", clientA);
  let b: ReturnType<typeof campaign> | undefined;
  try {
    await waitFor(() => intervals.some((i) => i.who === "a"), { message: "a leads" });
    b = campaign("b", slowB);
    await waitFor(() => readsB >= 3, { message: "b has observed a's renewals" });
    // b's next read waits 1.5 s before it is sent; a keeps renewing until just before that read, then hangs.
    holdNextRead = 1500;
    await waitFor(() => heldReadStarted !== undefined, { message: "b's held read started" });
    await new Promise((r) => setTimeout(r, 1300));
    proxy.hang();
    assert.equal(await a.done, false, "a lost leadership");
    await waitFor(() => intervals.some((i) => i.who === "b"), { timeoutMs: 15_000, message: "b leads once a's lease expired" });
    const aInterval = intervals.find((i) => i.who === "a")!;
    const bInterval = intervals.find((i) => i.who === "b")!;
    assert.ok(aInterval.end! < bInterval.start, `a acted until ${Math.round(aInterval.end! - heldReadStarted!)} ms, b from ${Math.round(bInterval.start - heldReadStarted!)} ms after b's held read started`);
  } finally {
    // Also on failure: a campaign or a proxied connection left running would keep the file alive.
    a.controller.abort();
    b?.controller.abort();
    proxy.resume();
    await Promise.allSettled([a.done, b?.done]);
    clientA.close();
    clientB.close();
    await proxy.close();
  }
});
