// The cluster refuses whoever has no credential: gRPC (apiserver and components), etcd and NATS; NATS users are fenced; Secrets never rest in plaintext.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ChannelCredentials, credentials, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { Etcd3 } from "etcd3";
import { AckPolicy, connect, type NatsConnection } from "nats";
import { apiserverV1, kindFor } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import {
  clientTls,
  etcdCredentials,
  grpcCredentials,
  natsOptions,
  serviceEntry,
  startControlPlane,
  startServiceProcess,
  testPki,
  testPkiNow,
  waitFor,
  type ControlPlane,
  type ServiceProcess,
} from "@kubeplane/testing";

await testPki();

const SECRET_VALUE = "kp-plaintext-canary-7f3a9c";

/** One Health.Check-style probe: the apiserver's Version call, or any unary method, with the given credentials. */
function version(address: string, creds: ChannelCredentials): Promise<unknown> {
  const client = new apiserverV1.ApiServerServiceClient(address, creds);
  return new Promise((resolve, reject) => {
    client.version({}, new Metadata(), { deadline: Date.now() + 3000 }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res);
    });
  }).finally(() => client.close());
}

/** gRPC health check of any component with the given credentials. */
function health(address: string, creds: ChannelCredentials): Promise<void> {
  const client = new apiserverV1.ApiServerServiceClient(address, creds);
  // Any service name will do: the handshake (or the authenticator) decides before routing.
  return new Promise<void>((resolve, reject) => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      () => Buffer.alloc(0),
      (b: Buffer) => b,
      {},
      new Metadata(),
      { deadline: Date.now() + 3000 },
      (err) => (err ? reject(err) : resolve()),
    );
  }).finally(() => client.close());
}

function foreignCertificate(dir: string, subject: string): { cert: Buffer; key: Buffer; certFile: string; keyFile: string } {
  const certFile = join(dir, "foreign.crt");
  const keyFile = join(dir, "foreign.key");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", subject, "-keyout", keyFile, "-out", certFile], {
    stdio: "ignore",
  });
  return { cert: readFileSync(certFile), key: readFileSync(keyFile), certFile, keyFile };
}

function grepTree(dir: string, needle: string): string[] {
  try {
    return execFileSync("grep", ["-rlaF", needle, dir], { encoding: "utf8" }).split("\n").filter(Boolean);
  } catch {
    return []; // grep exits 1 when nothing matched
  }
}

describe("security: every door needs a credential", () => {
  let cp: ControlPlane;
  let dir: string;
  const components: Array<{ name: string; proc: ServiceProcess }> = [];
  const nats: NatsConnection[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "kp-security-"));
    const keyFile = join(dir, "encryption-keys");
    writeFileSync(keyFile, `k1:${Buffer.alloc(32, 7).toString("base64")}\n`, { mode: 0o600 });
    cp = await startControlPlane({ apiserverFlags: { "encryption-key-file": keyFile } });
    writeFileSync(join(dir, "machines.yaml"), "machines: []\n");
    writeFileSync(join(dir, "cloud.yaml"), "inventory:\n  file: machines.yaml\nloadBalancer:\n  pools: []\n");
    const common = { apiserver: cp.apiserver.grpcAddress, "nats-url": cp.nats.url };
    const started = await Promise.all([
      startServiceProcess({ entry: serviceEntry("scheduler"), flags: { ...common, "leader-elect": "false" } }).then((proc) => ({ name: "scheduler", proc })),
      startServiceProcess({ entry: serviceEntry("controller-manager"), flags: { ...common, controllers: "namespace", "leader-elect": "false" } }).then((proc) => ({
        name: "controller-manager",
        proc,
      })),
      startServiceProcess({
        entry: serviceEntry("cloud-controller-manager"),
        flags: { ...common, controllers: "cloud-node", "leader-elect": "false", "cloud-config": join(dir, "cloud.yaml"), "local-path-root": join(dir, "local-path") },
      }).then((proc) => ({ name: "cloud-controller-manager", proc })),
      startServiceProcess({ entry: serviceEntry("kubelet"), flags: { ...common, simulate: "1", "simulate-prefix": "sec" } }).then((proc) => ({ name: "kubelet", proc })),
    ]);
    components.push(...started);
  });

  after(async () => {
    for (const nc of nats) await nc.close().catch(() => undefined);
    await Promise.allSettled(components.map((c) => c.proc.kill()));
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the apiserver refuses plaintext, TLS without a certificate and a foreign CA's certificate; the admin is served", async () => {
    const address = cp.apiserver.grpcAddress;
    const ca = readFileSync(testPkiNow().caFile);
    const foreign = foreignCertificate(dir, "/CN=kubernetes-admin/O=system:masters");
    await assert.rejects(version(address, credentials.createInsecure()), (err: ServiceError) => err.code === status.UNAVAILABLE);
    await assert.rejects(version(address, ChannelCredentials.createSsl(ca)), (err: ServiceError) => err.code === status.UNAUTHENTICATED && /Unauthorized/.test(err.details));
    await assert.rejects(version(address, ChannelCredentials.createSsl(ca, foreign.key, foreign.cert)), (err: ServiceError) => err.code === status.UNAUTHENTICATED);
    assert.ok(await version(address, grpcCredentials()));
  });

  test("the scheduler, controller-manager, cloud-controller-manager and kubelet refuse callers without a client certificate", async () => {
    const ca = readFileSync(testPkiNow().caFile);
    for (const { name, proc } of components) {
      await assert.rejects(health(proc.grpcAddress, credentials.createInsecure()), (err: ServiceError) => err.code !== status.OK, `${name}: plaintext`);
      await assert.rejects(health(proc.grpcAddress, ChannelCredentials.createSsl(ca)), (err: ServiceError) => err.code !== status.OK, `${name}: TLS without a certificate`);
      await health(proc.grpcAddress, grpcCredentials());
    }
  });

  test("etcd refuses clients without the etcd CA's client certificate", async () => {
    const etcdCa = readFileSync(testPkiNow().etcdCaFile);
    const cluster = testPkiNow().files("admin"); // signed by the cluster CA, not etcd's
    const attempts = [
      new Etcd3({ hosts: cp.etcd.endpoints, credentials: { rootCertificate: etcdCa }, dialTimeout: 2000 }),
      new Etcd3({
        hosts: cp.etcd.endpoints,
        credentials: { rootCertificate: etcdCa, certChain: readFileSync(cluster.certFile), privateKey: readFileSync(cluster.keyFile) },
        dialTimeout: 2000,
      }),
    ];
    for (const client of attempts) {
      await assert.rejects(client.get("/registry/namespaces/default").string());
      client.close();
    }
    const apiserverOnly = new Etcd3({ hosts: cp.etcd.endpoints, credentials: etcdCredentials() });
    assert.ok((await apiserverOnly.getAll().prefix("/registry/").count()) > 0);
    apiserverOnly.close();
  });

  test("NATS refuses a client without a certificate; node-1 reads only its own pods and publishes nothing", async () => {
    const ca = testPkiNow().caFile;
    await assert.rejects(connect({ servers: cp.nats.url, tls: { caFile: ca }, reconnect: false, timeout: 3000 }));
    const node1 = await connect({ ...natsOptions(cp.nats.url, "node-node-1"), reconnect: false });
    nats.push(node1);
    const statuses: string[] = [];
    void (async () => {
      for await (const st of node1.status()) statuses.push(`${st.type} ${String(st.data)}`);
    })();
    // A core subscription to node-2's pods: the server refuses it and nats.js ends the subscription with the error.
    const spy = node1.subscribe("kp.watch.pods-by-node.node-2.>");
    await assert.rejects(
      (async () => {
        for await (const m of spy) assert.fail(`node-1 received ${m.subject}`);
      })(),
      /Permissions Violation for Subscription to "kp.watch.pods-by-node.node-2.>"/,
    );
    // A publish onto the watch stream's subjects: refused, and nothing reaches the stream.
    node1.publish("kp.watch.pods.default.forged", new Uint8Array([1]));
    await node1.flush();
    await waitFor(() => statuses.some((x) => /PERMISSIONS_VIOLATION|Permissions Violation/i.test(x)), { timeoutMs: 5000, message: "the publish refused" });
    const publisher = await connect({ ...natsOptions(cp.nats.url), reconnect: false });
    nats.push(publisher);
    const jsm = await publisher.jetstreamManager();
    await assert.rejects(jsm.streams.getMessage("KP_WATCH", { last_by_subj: "kp.watch.pods.default.forged" }), /no message found/i);

    // JetStream: a consumer on node-2's subjects is refused; one on its own is allowed.
    const node1b = await connect({ ...natsOptions(cp.nats.url, "node-node-1"), reconnect: false });
    nats.push(node1b);
    const nodeJsm = await node1b.jetstreamManager({ timeout: 2000 });
    // Named, so nats.js uses the create API whose subject carries the filter (what the permissions check).
    const consumerOn = (name: string, filter: string) =>
      nodeJsm.consumers.add("KP_WATCH", { name, filter_subject: filter, ack_policy: AckPolicy.None, inactive_threshold: 10_000_000_000 });
    await assert.rejects(consumerOn("spy", "kp.watch.pods-by-node.node-2.>"), /Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.CREATE\.KP_WATCH\.spy\.kp\.watch\.pods-by-node\.node-2\.>"/);
    // Reading a message by sequence (any node's pod) is refused; the gap marker's direct get is allowed.
    await assert.rejects(nodeJsm.streams.getMessage("KP_WATCH", { seq: 1 }), /Permissions Violation for Publish to "\$JS\.API\.STREAM\.MSG\.GET\.KP_WATCH"|TIMEOUT/);
    const direct = (nodeJsm as unknown as { direct: { getMessage(stream: string, q: { last_by_subj: string }): Promise<unknown> } }).direct;
    await direct.getMessage("KP_WATCH", { last_by_subj: "kp.watch._gap" }).catch((err: Error) => assert.match(err.message, /no message found|not found/i));
    const own = await consumerOn("own", "kp.watch.pods-by-node.node-1.>");
    assert.equal(own.config.filter_subject, "kp.watch.pods-by-node.node-1.>");
  });

  test("a Secret's value is neither in etcd's data directory nor in NATS's store, plain or base64", async () => {
    const client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
    await client.json.create(kindFor("v1", "Secret")!, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "canary", namespace: "default" },
      stringData: { password: SECRET_VALUE },
    });
    // The write is published before the stream files are searched.
    await waitFor(async () => (await cp.apiserver.metrics()).includes('resource="secrets"'), { timeoutMs: 10_000, message: "the Secret's watch event published" });
    const needles = [SECRET_VALUE, Buffer.from(SECRET_VALUE).toString("base64")];
    for (const needle of needles) {
      assert.deepEqual(grepTree(cp.etcd.members[0]!.dataDir, needle), [], `etcd holds ${needle}`);
      assert.deepEqual(grepTree(cp.nats.storeDir, needle), [], `NATS holds ${needle}`);
    }
    client.close();
  });
});
