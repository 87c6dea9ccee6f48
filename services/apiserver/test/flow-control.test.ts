// Limits against overload and hostile input on a real apiserver: a user's watch flood and request
// flood are refused with TooManyRequests while system identities keep being served; deep patches
// are BadRequest; List pages are capped.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { isBadRequest, isTooManyRequests, kindFor, type ApiError, type ApiObject } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { clientTls, testPkiNow, waitFor } from "@kubeplane/testing";
import { minimalObject } from "./fixtures.js";
import { startTestCluster, type TestCluster } from "./harness.js";
import { rawApiClient } from "./raw-api-client.js";

const configMaps = kindFor("v1", "ConfigMap")!;
const namespaces = kindFor("v1", "Namespace")!;
const nodes = kindFor("v1", "Node")!;
const clusterRoleBindings = kindFor("rbac.authorization.k8s.io/v1", "ClusterRoleBinding")!;

const WATCH_CAP = 20;
const FLOOD = 2000;
const PAGE_CAP = 2;

/** The ApiError a promise rejects with (fails the test if it resolves). */
async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    return err as ApiError;
  }
  assert.fail("expected a refusal");
}

describe("flow control and request limits", () => {
  let cluster: TestCluster;
  let alice: ApiClient;
  const clients: ApiClient[] = [];
  const connect = (identity: string, impersonate?: { user: string; groups?: string[] }): ApiClient => {
    const c = ApiClient.connect({ ...clientTls(identity), server: cluster.apiservers[0]!.addresses.grpcAddress, timeoutMs: 20_000, ...(impersonate ? { impersonate } : {}) });
    clients.push(c);
    return c;
  };

  before(async () => {
    // Few seats, so a single flooding client saturates its priority level within the test.
    cluster = await startTestCluster({ config: { maxRequestsInflight: 12, flowControlQueueWait: 2000, maxWatchesPerUser: WATCH_CAP, maxListPageSize: PAGE_CAP } });
    await cluster.client.create(namespaces, { ...minimalObject(namespaces, "flood") });
    await cluster.client.create(clusterRoleBindings, clusterRoleBindings.codec.fromPartial({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "alice-view" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice" }],
    }));
    await cluster.client.create(nodes, minimalObject(nodes, "node-1"));
    alice = connect("admin", { user: "alice" });
    await waitFor(() => alice.list(configMaps, { namespace: "flood" }).then(() => true, () => false), { timeoutMs: 5000, message: "alice may list" });
  });
  after(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
  });

  test("2,000 watches from one user: the cap's worth run, the rest get TooManyRequests, the scheduler still lists and watches", async () => {
    const abort = new AbortController();
    const started: Promise<unknown>[] = [];
    const refusals: ApiError[] = [];
    // Waves of 100 (this process is both the flooding client and the server): all 2,000 stay open or refused.
    for (let wave = 0; wave < FLOOD / 100; wave++) {
      for (let i = 0; i < 100; i++) {
        const next = alice.watch(configMaps, { namespace: "flood", signal: abort.signal })[Symbol.asyncIterator]().next();
        next.catch((err: ApiError) => refusals.push(err));
        started.push(next);
      }
      const expected = Math.max(0, (wave + 1) * 100 - WATCH_CAP);
      await waitFor(() => refusals.length >= expected, { timeoutMs: 10_000, message: `the watches of wave ${wave} past the cap refused` });
    }
    assert.equal(refusals.length, FLOOD - WATCH_CAP);
    for (const err of refusals) {
      assert.ok(isTooManyRequests(err), err.message);
      assert.equal(err.code, 429);
      assert.equal(err.status.details?.retryAfterSeconds, 1);
    }
    assert.match(refusals[0]!.message, /user "alice" already has 20 open watches/);

    // The scheduler (a system identity) is not held to alice's cap and is served at once.
    const scheduler = connect("scheduler");
    const t0 = performance.now();
    assert.ok((await scheduler.list(nodes)).items.some((n) => n.metadata?.name === "node-1"));
    const schedulerWatch = scheduler.watch(nodes, { signal: abort.signal })[Symbol.asyncIterator]();
    const first = await schedulerWatch.next();
    assert.equal(first.value?.object.metadata?.name, "node-1");
    assert.ok(performance.now() - t0 < 5000, "the scheduler listed and watched within 5 s");

    // Watches that end give their slot back.
    abort.abort();
    await Promise.allSettled(started);
    await waitFor(
      async () => {
        const retry = new AbortController();
        const next = alice.watch(configMaps, { namespace: "flood", signal: retry.signal })[Symbol.asyncIterator]().next();
        const verdict = await Promise.race([next.then(() => "open", (err: ApiError) => (isTooManyRequests(err) ? "refused" : "open")), new Promise((r) => setTimeout(r, 300, "open"))]);
        retry.abort();
        await next.catch(() => undefined);
        return verdict === "open";
      },
      { timeoutMs: 5000, message: "alice may watch again once her watches ended" },
    );
  });

  test("a flood of requests from one user is queued and refused with TooManyRequests while a node's calls are served", async () => {
    let flooding = true;
    let served = 0;
    const refused: ApiError[] = [];
    const aliceLatencies: number[] = [];
    // 400 concurrent callers as alice; after a refusal a caller pauses 50 ms (load shaping: this
    // process is also the server), then calls again, so her level stays saturated.
    const flood = Array.from({ length: 400 }, async () => {
      while (flooding) {
        const t0 = performance.now();
        try {
          await alice.list(configMaps, { namespace: "flood" });
          aliceLatencies.push(performance.now() - t0);
          served++;
        } catch (err) {
          refused.push(err as ApiError);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    });
    const latencies: number[] = [];
    let refusedMeanwhile = 0;
    try {
      const kubelet = ApiClient.connect({ ...(await testPkiNow().node("node-1")), server: cluster.apiservers[0]!.addresses.grpcAddress, timeoutMs: 20_000 });
      clients.push(kubelet);
      await waitFor(() => refused.length > 0, { timeoutMs: 20_000, message: "the flood saturates alice's priority level" });
      const before = refused.length;
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        await kubelet.get(nodes, "", "node-1");
        latencies.push(performance.now() - t0);
      }
      refusedMeanwhile = refused.length - before;
    } finally {
      flooding = false;
      await Promise.all(flood);
    }
    assert.ok(refusedMeanwhile > 0, "alice's flood went on being refused while the node was served");
    // The machine may be loaded (shared CI): the node's calls are compared with alice's, served in the same process at the same time.
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    assert.ok(median(latencies) < median(aliceLatencies), `the node's median call (${median(latencies).toFixed(0)} ms) is faster than alice's queued ones (${median(aliceLatencies).toFixed(0)} ms)`);
    assert.ok(Math.max(...latencies) < 10_000, "no node call waited anywhere near a queue's timeout");
    assert.ok(served > 0, "alice is served too, at her share");
    for (const err of refused) assert.ok(isTooManyRequests(err) && err.status.details?.retryAfterSeconds === 1, err.message);
  });

  test("a merge patch nested 100,000 deep is BadRequest; an object over 3 MiB is RequestEntityTooLarge", async () => {
    await cluster.client.create(configMaps, configMaps.codec.fromPartial({ metadata: { name: "deep", namespace: "flood" }, data: { a: "1" } }));
    const raw = rawApiClient(cluster.apiservers[0]!.addresses.grpcAddress);
    const depth = 100_000;
    const patch = Buffer.from(`{"data":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`);
    const outcome = await raw.call("patch", { resource: { group: "", version: "v1", resource: "configmaps" }, namespace: "flood", name: "deep", patch, patchType: "merge" });
    raw.close();
    assert.ok(!outcome.ok && outcome.hasStatus, `refused with a Status: ${JSON.stringify(outcome.ok ? outcome : { code: outcome.grpcCode, message: outcome.error.message })}`);
    assert.ok(isBadRequest(outcome.error), outcome.error.message);
    assert.match(outcome.error.message, /the patch nests objects and arrays deeper than the limit of 100 levels/);
    // Depth a real client can build is refused the same way.
    let shallow: Record<string, unknown> = { x: 1 };
    for (let i = 0; i < 200; i++) shallow = { a: shallow };
    assert.ok(isBadRequest(await refusal(cluster.client.patch(configMaps, "flood", "deep", { data: shallow }))));
    const big = await refusal(cluster.client.create(configMaps, configMaps.codec.fromPartial({ metadata: { name: "big", namespace: "flood" }, data: { a: "x".repeat(3.5 * 1024 * 1024) } }) as ApiObject));
    assert.equal(big.reason, "RequestEntityTooLarge", big.message);
  });

  test("a List asking for more than the page cap gets the cap and a continue token", async () => {
    for (const name of ["p1", "p2", "p3"]) await cluster.client.create(configMaps, configMaps.codec.fromPartial({ metadata: { name, namespace: "flood" } }));
    const page = await cluster.client.list(configMaps, { namespace: "flood", limit: 100 });
    assert.equal(page.items.length, PAGE_CAP);
    assert.ok(page.continueToken);
    const all = await cluster.client.listAll(configMaps, { namespace: "flood" });
    assert.ok(all.items.length >= 3);
  });
});
