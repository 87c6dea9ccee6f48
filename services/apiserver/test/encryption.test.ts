// Secrets at rest: sealed in etcd with AES-GCM, served and watched decrypted.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { coreV1Config, kindFor, registryKey } from "@kubeplane/api";
import { Informer } from "@kubeplane/client";
import { EtcdStore } from "@kubeplane/storage";
import { etcdStoreTls, waitFor } from "@kubeplane/testing";
import { startTestCluster, type TestCluster } from "./harness.js";

const secrets = kindFor("v1", "Secret")!;
let cluster: TestCluster;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kp-enc-"));
  const keyFile = join(dir, "keys");
  await writeFile(keyFile, `k1:${randomBytes(32).toString("base64")}\n`);
  cluster = await startTestCluster({ config: { encryptionKeyFile: keyFile } });
});
after(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

test("a Secret is encrypted in etcd, and served and watched decrypted", async () => {
  const controller = new AbortController();
  const informer = new Informer({ client: cluster.client, watch: cluster.watch, kind: secrets, namespace: "default" });
  const running = informer.run(controller.signal);
  await informer.waitForSync();
  const created = await cluster.client.create(
    secrets,
    coreV1Config.Secret.fromPartial({ apiVersion: "v1", kind: "Secret", metadata: { name: "db", namespace: "default" }, data: { password: Buffer.from("hunter2-plaintext").toString("base64") } }),
  );
  const store = EtcdStore.connect({ tls: etcdStoreTls(), endpoints: cluster.etcd.endpoints });
  try {
    const raw = await store.get(registryKey(secrets, "default", "db"));
    assert.ok(raw);
    const bytes = Buffer.from(raw.value);
    assert.ok(bytes.toString("latin1").startsWith("k8s:enc:aesgcm:v1:k1:"));
    assert.ok(!bytes.includes(Buffer.from(Buffer.from("hunter2-plaintext").toString("base64"))), "no secret data in etcd");
  } finally {
    store.close();
  }
  const got = (await cluster.client.get(secrets, "default", "db")) as coreV1Config.Secret;
  assert.equal(Buffer.from(got.data.password!, "base64").toString(), "hunter2-plaintext");
  assert.equal(got.metadata!.resourceVersion, created.metadata!.resourceVersion);
  const same = await cluster.client.update(secrets, got);
  assert.equal(same.metadata!.resourceVersion, got.metadata!.resourceVersion, "a no-op update of a sealed value writes nothing");
  await waitFor(() => informer.lister.get("default", "db") !== undefined, { message: "the informer sees the Secret" });
  const cached = informer.lister.get("default", "db") as coreV1Config.Secret;
  assert.equal(Buffer.from(cached.data.password!, "base64").toString(), "hunter2-plaintext");
  controller.abort();
  await running;
});
