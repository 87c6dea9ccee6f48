// Secrets at rest: sealed in etcd with AES-GCM bound to their etcd key, served and watched decrypted; encryption is required.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { coreV1Config, isApiError, kindFor, registryKey } from "@kubeplane/api";
import { Informer } from "@kubeplane/client";
import { EtcdStore } from "@kubeplane/storage";
import { etcdStoreTls, waitFor } from "@kubeplane/testing";
import { ServiceStartError } from "@kubeplane/service-kit";
import { startApiserver } from "../src/index.js";
import { startTestCluster, testConfig, type TestCluster } from "./harness.js";

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

const secret = (name: string, value: string): coreV1Config.Secret =>
  coreV1Config.Secret.fromPartial({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "default" }, data: { password: Buffer.from(value).toString("base64") } });

test("a value copied in etcd to another Secret's key does not decrypt: InternalError naming the key, the original still reads, the failure counted, watches go on", async () => {
  const configMaps = kindFor("v1", "ConfigMap")!;
  const controller = new AbortController();
  // Not a Secret informer: it fetches each changed Secret, and a List of a namespace with an unreadable value fails (as Kubernetes').
  const informer = new Informer({ client: cluster.client, watch: cluster.watch, kind: configMaps, namespace: "default" });
  const running = informer.run(controller.signal);
  const store = EtcdStore.connect({ tls: etcdStoreTls(), endpoints: cluster.etcd.endpoints });
  const copyKey = registryKey(secrets, "default", "copy");
  try {
    await informer.waitForSync();
    await cluster.client.create(secrets, secret("original", "s3cret"));
    const raw = await store.get(registryKey(secrets, "default", "original"));
    assert.ok(raw && Buffer.from(raw.value).toString("latin1").startsWith("k8s:enc:aesgcm:v1:k1:"));
    await store.create(copyKey, raw.value);
    await assert.rejects(cluster.client.get(secrets, "default", "copy"), (err: unknown) => {
      assert.ok(isApiError(err), String(err));
      assert.equal(err.reason, "InternalError");
      assert.match(
        err.message,
        /^Internal error occurred: the secrets value at \/registry\/core\/secrets\/default\/copy does not decrypt with key "k1": it was encrypted for another etcd key \(copied or moved there\) or it was altered$/,
      );
      return true;
    });
    const original = (await cluster.client.get(secrets, "default", "original")) as coreV1Config.Secret;
    assert.equal(Buffer.from(original.data.password!, "base64").toString(), "s3cret");
    const metrics = await cluster.apiservers[0]!.service.metrics.metrics();
    assert.match(metrics, /apiserver_storage_transformation_operations_total\{transformation_type="from_storage",transformer_prefix="k8s:enc:aesgcm:v1:k1:",status="Unknown"\} [1-9]/);
    assert.match(metrics, /apiserver_storage_transformation_operations_total\{transformation_type="to_storage",transformer_prefix="k8s:enc:aesgcm:v1:k1:",status="OK"\} [1-9]/);
    // The watch publisher met the undecryptable value too (it publishes the name only): later events still flow.
    await cluster.client.create(configMaps, coreV1Config.ConfigMap.fromPartial({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "after-copy", namespace: "default" } }));
    await waitFor(() => informer.lister.get("default", "after-copy") !== undefined, { message: "the informer sees a ConfigMap created after the copy" });
  } finally {
    const copy = await store.get(copyKey);
    if (copy) await store.delete(copyKey, copy.resourceVersion);
    store.close();
    controller.abort();
    await running;
  }
});

test("the apiserver refuses to start without an encryption configuration, unless encryption is turned off by name", async () => {
  await assert.rejects(
    startApiserver(testConfig(cluster.etcd, cluster.nats, { encryptionKeyFile: "" })),
    (err: unknown) => err instanceof ServiceStartError && /no encryption at rest configured: set --encryption-key-file .* --encryption-provider=identity/.test(err.message),
  );
  await assert.rejects(
    startApiserver(testConfig(cluster.etcd, cluster.nats, { encryptionKeyFile: join(dir, "keys"), encryptionProvider: "identity" })),
    (err: unknown) => err instanceof ServiceStartError && /contradict/.test(err.message),
  );
  await assert.rejects(startApiserver(testConfig(cluster.etcd, cluster.nats, { encryptionKeyFile: join(dir, "missing") })), /cannot read the encryption key file/);
});
