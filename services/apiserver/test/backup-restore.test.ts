// Backup and restore round trip: a backup through the Backup RPC (as kpctl saves it), objects deleted, every etcd member restored by the restore module's steps, objects back, revision bumped, informers relisted.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { checkSnapshotFile, isApiError, kindForResource, revisionOfResourceVersion, type ApiObject } from "@kubeplane/api";
import { ApiClient, Informer, saveBackup } from "@kubeplane/client";
import { EtcdStore } from "@kubeplane/storage";
import { clientTls, etcdStoreTls, natsOptions, waitFor } from "@kubeplane/testing";
import { connect } from "nats";
import { prepareSnapshot, resetWatchStream, restoreMembers } from "../src/restore.js";
import { minimalObject } from "./fixtures.js";
import { InformerTracker, sameVersions, versions } from "./informer-tracker.js";
import { startTestCluster, type TestCluster } from "./harness.js";

const namespaces = kindForResource("", "namespaces")!;
const configMaps = kindForResource("", "configmaps")!;
const secrets = kindForResource("", "secrets")!;
const deployments = kindForResource("apps", "deployments")!;
const NS = "shop";
const BUMP = 500;

let cluster: TestCluster;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kubeplane-backup-test-"));
  cluster = await startTestCluster({ etcdMembers: 3 });
});
after(async () => {
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function inShop(info: typeof configMaps, name: string, extra: Record<string, unknown> = {}): ApiObject {
  const o = minimalObject(info, name);
  return { ...o, ...extra, metadata: { ...o.metadata!, namespace: NS } } as ApiObject;
}

async function etcdRevision(): Promise<number> {
  const store = EtcdStore.connect({ endpoints: cluster.etcd.endpoints, tls: etcdStoreTls() });
  try {
    return await store.currentRevision();
  } finally {
    store.close();
  }
}

test("a non-admin user's backup call is Forbidden; the etcd-backup identity may take one", async () => {
  const as = (user: string): ApiClient => ApiClient.connect({ ...clientTls(), server: cluster.apiservers[0]!.addresses.grpcAddress, timeoutMs: 10_000, impersonate: { user, groups: ["system:authenticated"] } });
  const alice = as("alice");
  const backupJob = as("system:kubeplane:etcd-backup");
  try {
    for await (const chunk of backupJob.backup()) {
      assert.ok(chunk.metadata && chunk.metadata.revision > 0, "the stream starts with its metadata");
      break; // cancels the call
    }
    await assert.rejects(
      (async () => {
        for await (const _ of alice.backup()) void _;
      })(),
      (err: unknown) => isApiError(err) && err.code === 403 && /cannot get path "\/backup\/etcd-snapshot"/.test(err.message),
    );
  } finally {
    alice.close();
    backupJob.close();
  }
});

test("backup, delete a namespace's objects, restore every member: objects back, revision bumped, informers relist", async (t) => {
  const log: string[] = [];
  const client = cluster.client;
  await client.create(namespaces, minimalObject(namespaces, NS));
  for (let i = 0; i < 5; i++) await client.create(configMaps, inShop(configMaps, `cm-${i}`, { data: { v: `value-${i}` } }));
  const secretBefore = await client.create(secrets, inShop(secrets, "creds"));
  await client.create(deployments, inShop(deployments, "web"));

  // An informer started before the restore, kept running through it.
  const controller = new AbortController();
  const informer = new Informer<ApiObject>({ client, watch: cluster.watch, kind: configMaps, namespace: NS });
  const tracker = new InformerTracker(informer);
  const running = informer.run(controller.signal);
  t.after(async () => {
    controller.abort();
    await running.catch(() => undefined);
  });
  await informer.waitForSync(controller.signal);
  assert.equal(informer.lister.list().length, 5);

  // The backup, as `kpctl backup save` takes it.
  const file = join(dir, "backup.db");
  const meta = await saveBackup(client.backup(), file);
  assert.equal(meta.memberCount, 3);
  assert.ok(meta.revision > 0 && meta.keyCount > 0, JSON.stringify(meta));
  const check = await checkSnapshotFile(file);
  assert.equal(check.checksumMatches, true);
  assert.equal(check.etcdHashMatches, true);

  // After the backup: the namespace's objects deleted, one object created that the restore must undo.
  for (let i = 0; i < 5; i++) await client.delete(configMaps, NS, `cm-${i}`);
  await client.delete(secrets, NS, "creds");
  await client.delete(deployments, NS, "web");
  await client.delete(namespaces, "", NS);
  await client.create(configMaps, { ...minimalObject(configMaps, "after-backup") });
  await waitFor(() => informer.lister.list().length === 0, { message: "the informer saw the deletes" });
  const beforeRestore = await etcdRevision();

  // The restore, the steps `make restore` runs (infra/local/restore.sh → restore-main.ts).
  const started = performance.now();
  const prepared = await prepareSnapshot({ snapshot: file, out: join(dir, "prepared.db"), bumpRevision: BUMP, minRevision: beforeRestore, log: (m) => log.push(m) });
  const grpcAddress = cluster.apiservers[0]!.addresses.grpcAddress;
  await Promise.all(cluster.apiservers.map((a) => a.stop()));
  // As the apiserver's NATS identity (the watch stream's owner), as restore-main.ts connects.
  const nc = await connect(natsOptions(cluster.nats.url));
  await resetWatchStream(await nc.jetstreamManager(), (m) => log.push(m));
  await nc.close();
  await Promise.all(cluster.etcd.members.map((m) => m.kill()));
  await restoreMembers({
    snapshot: join(dir, "prepared.db"),
    members: cluster.etcd.members.map((m) => ({ name: m.name, peerUrl: m.peerUrl, dataDir: m.dataDir })),
    token: "kubeplane-restore-test",
    log: (m) => log.push(m),
  });
  await Promise.all(cluster.etcd.members.map((m) => m.restart()));
  await cluster.addApiserver({ grpcListen: grpcAddress });
  const restoreSeconds = (performance.now() - started) / 1000;

  // Every object is back with its data; what was written after the backup is not.
  const cms = (await client.listAll(configMaps, { namespace: NS })).items;
  assert.deepEqual(cms.map((o) => [o.metadata!.name, (o as ApiObject & { data: Record<string, string> }).data["v"]]).sort(), [0, 1, 2, 3, 4].map((i) => [`cm-${i}`, `value-${i}`]));
  const secret = (await client.get(secrets, NS, "creds")) as ApiObject & { data: unknown };
  assert.deepEqual(secret.data, (secretBefore as ApiObject & { data: unknown }).data);
  assert.ok(JSON.stringify(secret.data).length > 4, "the Secret has its data");
  assert.equal((await client.get(deployments, NS, "web")).metadata!.name, "web");
  assert.ok(!(await client.get(namespaces, "", NS)).metadata!.deletionTimestamp, "the namespace is not terminating");
  await assert.rejects(client.get(configMaps, "default", "after-backup"), (err: unknown) => isApiError(err) && err.code === 404);

  // The revision moved on past everything seen before the restore, and past the snapshot by the bump.
  assert.ok(prepared.snapshotRevision >= meta.revision, `${prepared.snapshotRevision} >= ${meta.revision}`);
  assert.ok(prepared.revision >= prepared.snapshotRevision + BUMP && prepared.revision > beforeRestore, JSON.stringify({ prepared, beforeRestore }));
  const created = await client.create(configMaps, inShop(configMaps, "after-restore"));
  // Every new resourceVersion exceeds every one seen before: its revision is past the restored one.
  assert.ok(revisionOfResourceVersion(Number(created.metadata!.resourceVersion)) > prepared.revision, `${created.metadata!.resourceVersion} is past revision ${prepared.revision}`);
  assert.ok(await etcdRevision() > beforeRestore);

  // The informer started before the restore relisted and equals a fresh List.
  await waitFor(
    async () => sameVersions(versions(informer.lister.list()), versions((await client.listAll(configMaps, { namespace: NS })).items)),
    { timeoutMs: 20_000, message: "the informer started before the restore equals a fresh list" },
  );
  assert.equal(informer.lister.list().length, 6);
  assert.deepEqual(tracker.violations, []);
  console.log(`restore: ${restoreSeconds.toFixed(1)} s for 3 members (bump ${BUMP}); ${log.join(" | ")}`);
});
