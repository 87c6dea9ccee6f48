// Two apiserver replicas on one etcd: a replica's remembered objects never stand in for what another wrote.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { isConflict, isNotFound, kindFor, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import { startTestCluster, type TestCluster } from "./harness.js";

const pods = kindFor("v1", "Pod")!;
const configMaps = kindFor("v1", "ConfigMap")!;
const obj = (info: KindInfo, partial: unknown): ApiObject => info.codec.fromPartial(partial);
const pod = (name: string): ApiObject => obj(pods, { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default" }, spec: { containers: [{ name: "main", image: "nginx" }] } });
type Loose = ApiObject & { spec?: { nodeName?: string }; status?: { phase?: string }; data?: Record<string, string> };

let cluster: TestCluster;
/** `a` writes first (and so remembers the objects); `b` then changes them behind its back. */
let a: ApiClient;
let b: ApiClient;
before(async () => {
  cluster = await startTestCluster();
  a = cluster.client;
  b = cluster.clientOf(await cluster.addApiserver());
});
after(async () => {
  await cluster?.stop();
});

async function rejects(p: Promise<unknown>, check: (err: unknown) => boolean, what: string): Promise<void> {
  await assert.rejects(p, (err) => {
    assert.ok(check(err), `${what}: got ${(err as Error).message}`);
    return true;
  });
}

test("a binding after another replica's status write keeps that status", async () => {
  const created = (await a.create(pods, pod("bind-after-status"))) as Loose;
  const withStatus = (await b.get(pods, "default", "bind-after-status")) as Loose;
  withStatus.status!.phase = "Running";
  const written = await b.updateStatus(pods, withStatus);
  await a.bind("default", "bind-after-status", "node-1");
  const bound = (await a.get(pods, "default", "bind-after-status")) as Loose;
  assert.equal(bound.spec?.nodeName, "node-1");
  assert.equal(bound.status?.phase, "Running");
  assert.ok(Number(bound.metadata!.resourceVersion) > Number(written.metadata!.resourceVersion));
  assert.notEqual(created.metadata!.resourceVersion, written.metadata!.resourceVersion);
});

test("a binding of a pod another replica bound is a Conflict naming that node", async () => {
  await a.create(pods, pod("bound-elsewhere"));
  await b.bind("default", "bound-elsewhere", "node-b");
  await rejects(a.bind("default", "bound-elsewhere", "node-a"), (err) => isConflict(err) && /node-b/.test((err as Error).message), "second binding");
  assert.equal(((await b.get(pods, "default", "bound-elsewhere")) as Loose).spec?.nodeName, "node-b");
});

test("an update with the resourceVersion this replica wrote is a Conflict once another replica moved on", async () => {
  const created = await a.create(configMaps, obj(configMaps, { metadata: { name: "stale-rv", namespace: "default" }, data: { v: "1" } }));
  const other = (await b.get(configMaps, "default", "stale-rv")) as Loose;
  other.data = { v: "2" };
  await b.update(configMaps, other);
  const stale = created as Loose;
  stale.data = { v: "3" };
  await rejects(a.update(configMaps, stale), isConflict, "stale update");
  assert.deepEqual(((await a.get(configMaps, "default", "stale-rv")) as Loose).data, { v: "2" });
});

test("rewriting what this replica last wrote is a real write when another replica changed it since", async () => {
  const created = await a.create(configMaps, obj(configMaps, { metadata: { name: "not-a-no-op", namespace: "default" }, data: { v: "1" } }));
  const other = (await b.get(configMaps, "default", "not-a-no-op")) as Loose;
  other.data = { v: "2" };
  const moved = await b.update(configMaps, other);
  const again = obj(configMaps, { metadata: { name: "not-a-no-op", namespace: "default" }, data: { v: "1" } });
  const written = await a.update(configMaps, again);
  assert.ok(Number(written.metadata!.resourceVersion) > Number(moved.metadata!.resourceVersion), "a new revision, not the remembered one");
  assert.notEqual(written.metadata!.resourceVersion, created.metadata!.resourceVersion);
  assert.deepEqual(((await b.get(configMaps, "default", "not-a-no-op")) as Loose).data, { v: "1" });
});

test("writes to an object another replica deleted are NotFound", async () => {
  const created = (await a.create(pods, pod("deleted-elsewhere"))) as Loose;
  await b.delete(pods, "default", "deleted-elsewhere");
  await rejects(a.bind("default", "deleted-elsewhere", "node-1"), isNotFound, "binding");
  created.status = { ...created.status, phase: "Running" };
  await rejects(a.updateStatus(pods, created), isNotFound, "status write with the old resourceVersion");
  created.metadata!.resourceVersion = "";
  await rejects(a.updateStatus(pods, created), isNotFound, "unconditional status write");
});
