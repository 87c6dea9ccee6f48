// Node join on a real apiserver, controller-manager, etcd and NATS: a kubelet with only a bootstrap token and the CA hash
// gets its own certificate, registers Ready, renews its certificates before they expire; revoked or expired tokens are refused.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { NatsConnection } from "nats";
import { Registry } from "prom-client";
import { bootstrapTokenSecret, generateBootstrapToken, isApiError, kindFor, type coordinationV1, type coreV1Node, type KindInfo } from "@kubeplane/api";
import { ApiClient, connectNatsWithRetry, rotatingChannelCredentials } from "@kubeplane/client";
import { createLogger } from "@kubeplane/service-kit";
import { clientTls, runKpctl, startControlPlane, testPkiNow, waitFor, type ControlPlane, type ServiceProcess } from "@kubeplane/testing";
import { startCsrControllers } from "./fixtures/csr-controllers.js";
import { createCsr } from "@kubeplane/pki";
import { bootstrapKubeletTls, CaHashMismatchError, startNodeCertificateRotation, type BootstrappedFiles } from "../src/bootstrap/index.js";
import { startNodeAgent, type NodeAgent } from "../src/node/index.js";

type Node = coreV1Node.Node;
const nodes = kindFor("v1", "Node") as KindInfo<Node>;
const leases = kindFor("coordination.k8s.io/v1", "Lease") as KindInfo<coordinationV1.Lease>;
const secrets = kindFor("v1", "Secret")!;

/** Certificates the test controller-manager signs live this long: rotation must happen within the test. */
const SIGNING_SECONDS = 24;

describe("node join (kubelet TLS bootstrapping)", () => {
  let cp: ControlPlane;
  let cm: ServiceProcess;
  let admin: ApiClient;
  let certRoot: string;
  let caHash: string;
  const closers: Array<() => Promise<void> | void> = [];
  const logger = createLogger("kubelet-join-test", "warn");

  before(async () => {
    cp = await startControlPlane();
    const pki = testPkiNow();
    caHash = pki.pki.caHash();
    cm = await startCsrControllers(cp, SIGNING_SECONDS);
    // Beside NATS, as in make up and deployments: a node's NATS user follows its Node object.
    await cp.natsAuthorizer();
    admin = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
    certRoot = mkdtempSync(join(tmpdir(), "kubelet-join-"));
  });

  after(async () => {
    for (const close of closers.reverse()) await close();
    admin?.close();
    await cm?.kill();
    await cp?.stop();
    if (certRoot) rmSync(certRoot, { recursive: true, force: true });
  });

  const createToken = async (expires?: Date): Promise<string> => {
    const token = generateBootstrapToken();
    await admin.create(secrets, bootstrapTokenSecret({ token, expires, description: "join test" }));
    return `${token.id}.${token.secret}`;
  };

  const bootstrap = (nodeName: string, token: string, certDir = join(certRoot, nodeName)): Promise<BootstrappedFiles> =>
    bootstrapKubeletTls({ apiserver: cp.apiserver.grpcAddress, caFile: testPkiNow().caFile, caCertHash: caHash, bootstrapToken: token, certDir, nodeName, nodeIp: "127.0.0.1" }, logger);

  it("joins with only a bootstrap token and the CA hash, becomes Ready, and renews both certificates before they expire", async () => {
    const caFile = testPkiNow().caFile;
    // What an operator runs on the control plane; the node gets the token and the CA hash from its output.
    const created = await runKpctl(cp.apiserver.grpcAddress, ["token", "create", "--ttl", "1h", "--description", "node-3", "--print-join-command"]);
    assert.equal(created.code, 0, created.stderr);
    const token = /--bootstrap-token=(\S+)/.exec(created.stdout)?.[1] ?? "";
    assert.equal(/--ca-cert-hash=(\S+)/.exec(created.stdout)?.[1], caHash);
    const listed = await runKpctl(cp.apiserver.grpcAddress, ["token", "list"]);
    assert.match(listed.stdout, new RegExp(`${token.slice(0, 6)}\\.<secret>\\s+1h\\s.*authentication,signing\\s+node-3`));
    assert.ok(!listed.stdout.includes(token.slice(7)), "the secret half is never listed");
    const files = await bootstrap("node-3", token);
    const first = new X509Certificate(readFileSync(files.clientFile));
    assert.match(first.subject, /CN=system:node:node-3/);
    assert.match(first.subject, /O=system:nodes/);
    assert.ok(first.checkIssued(new X509Certificate(readFileSync(caFile))));

    const client = ApiClient.connect({ server: cp.apiserver.grpcAddress, credentials: rotatingChannelCredentials({ caFile, certFile: files.clientFile, keyFile: files.clientFile, refreshMs: 500 }) });
    closers.push(() => client.close());
    // As the kubelet: NATS in the background, refused until the nats-authorizer has added node-3's user for its Node.
    const natsRefusals: string[] = [];
    const natsLogger = { info: () => undefined, warn: (_: object, msg: string) => void natsRefusals.push(msg) };
    const natsSettings = { apiserver: cp.apiserver.grpcAddress, natsUrl: cp.nats.url, caFile, clientCertFile: files.clientFile, clientKeyFile: files.clientFile };
    const natsConnecting = connectNatsWithRetry(natsSettings, { name: "node-3", logger: natsLogger, signal: AbortSignal.timeout(20_000), initialDelayMs: 100, maxDelayMs: 400, natsOptions: { reconnectTimeWait: 200 } });
    natsConnecting.catch(() => undefined);
    const agent: NodeAgent = startNodeAgent({
      client,
      logger,
      registry: new Registry(),
      nodeName: "node-3",
      rootDir: join(certRoot, "root"),
      nodeIps: ["127.0.0.1"],
      kubeletVersion: "v0.1.0",
      containerRuntimeVersion: "containerd://1.6.20",
      kubeletPort: 10250,
      healthy: () => ({ ready: true }),
      statusUpdateIntervalMs: 500,
      leaseRenewIntervalMs: 300,
    });
    closers.push(() => agent.stop());
    await agent.waitForRegistration();
    // Nothing but the bootstrap token: no one added node-3 to NATS by hand.
    const nc: NatsConnection = await natsConnecting;
    closers.push(() => nc.close());
    await nc.jetstreamManager();
    // It connected before its Node existed, so NATS refused it first, and the log said why.
    assert.ok(natsRefusals.length >= 1 && natsRefusals.every((m) => /authorization violation/.test(m)), JSON.stringify(natsRefusals));
    await waitFor(async () => ((await admin.get(nodes, "", "node-3")) as Node).status?.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false, {
      timeoutMs: 15_000,
      message: "node-3 Ready",
    });

    const rotation = new AbortController();
    let natsReconnects = 0;
    const rotating = startNodeCertificateRotation({
      files,
      caFile,
      client,
      nodeName: "node-3",
      nodeIp: "127.0.0.1",
      clientRotated: async () => {
        natsReconnects++;
        await nc.reconnect();
      },
      servingRotated: () => undefined,
      logger,
      signal: rotation.signal,
      renewFraction: () => 0.5,
    });
    closers.push(async () => {
      rotation.abort();
      await rotating;
    });
    // The untrusted first serving certificate is replaced at once by one the CA signed for the node's own addresses.
    await waitFor(() => new X509Certificate(readFileSync(files.servingFile)).checkIssued(new X509Certificate(readFileSync(caFile))), { timeoutMs: 15_000, message: "a CA-signed serving certificate" });
    const serving = new X509Certificate(readFileSync(files.servingFile));
    assert.match(serving.subjectAltName ?? "", /IP Address:127\.0\.0\.1/);
    // The client certificate is renewed (a new serial) before the first one expires.
    await waitFor(() => new X509Certificate(readFileSync(files.clientFile)).serialNumber !== first.serialNumber, { timeoutMs: 30_000, message: "a renewed client certificate" });
    const renewed = new X509Certificate(readFileSync(files.clientFile));
    assert.ok(Date.now() < Date.parse(first.validTo), "renewed before the first certificate expired");
    assert.ok(Date.parse(renewed.validTo) > Date.parse(first.validTo));
    // The rotation writes the file, then reconnects NATS: the poll above may see the file first.
    await waitFor(() => natsReconnects >= 1, { timeoutMs: 10_000, message: "NATS reconnected with the renewed client certificate" });
    // After the first certificate expired, the node still works on the renewed one: heartbeats go on, NATS is connected.
    await waitFor(() => Date.now() > Date.parse(first.validTo) + 1000, { timeoutMs: 40_000, intervalMs: 500, message: "the first certificate to expire" });
    const before = ((await admin.get(leases, "kube-node-lease", "node-3")) as coordinationV1.Lease).spec?.renewTime;
    await waitFor(async () => ((await admin.get(leases, "kube-node-lease", "node-3")) as coordinationV1.Lease).spec?.renewTime !== before, { timeoutMs: 10_000, message: "a Lease renewal after expiry" });
    const fresh = ApiClient.connect({ server: cp.apiserver.grpcAddress, caFile, certFile: files.clientFile, keyFile: files.clientFile });
    closers.push(() => fresh.close());
    assert.equal(((await fresh.get(nodes, "", "node-3")) as Node).metadata?.name, "node-3");
    assert.equal(nc.isClosed(), false);
  });

  it("refuses a deleted (revoked) token, an expired token and an unknown one; the token cleaner deletes expired tokens", async () => {
    const revoked = await createToken(new Date(Date.now() + 3600_000));
    const deleted = await runKpctl(cp.apiserver.grpcAddress, ["token", "delete", revoked.slice(0, 6)]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const unauthorized = (err: unknown): boolean => isApiError(err) && err.reason === "Unauthorized";
    await assert.rejects(bootstrap("node-revoked", revoked), unauthorized);
    await assert.rejects(bootstrap("node-unknown", "zzzzzz.0123456789abcdef"), unauthorized);
    const expiresAt = Date.now() + 2000;
    const expiring = await createToken(new Date(expiresAt));
    await waitFor(() => Date.now() > expiresAt + 1000, { timeoutMs: 10_000, intervalMs: 200, message: "the token's expiration" });
    await assert.rejects(bootstrap("node-expired", expiring), unauthorized);
    await waitFor(async () => (await admin.list(secrets, { namespace: "kube-system" })).items.every((s) => s.metadata?.name !== `bootstrap-token-${expiring.slice(0, 6)}`), {
      timeoutMs: 10_000,
      message: "the token cleaner to delete the expired token",
    });
  });

  it("leaves a CSR the approver does not vouch for to a human: kpctl certificate deny, approve, get csr", async () => {
    const csrs = kindFor("certificates.k8s.io/v1", "CertificateSigningRequest")!;
    const request = async (name: string, cn: string): Promise<void> => {
      const { csrPem } = await createCsr({ commonName: cn, organizations: ["system:nodes"] });
      await admin.json.create(csrs, {
        apiVersion: "certificates.k8s.io/v1",
        kind: "CertificateSigningRequest",
        metadata: { name },
        // The body claims another requester: the apiserver records the caller (the admin) instead.
        spec: { request: Buffer.from(csrPem).toString("base64"), signerName: "kubernetes.io/kube-apiserver-client-kubelet", usages: ["client auth"], username: "system:bootstrap:forged" },
      });
    };
    await request("manual-deny", "system:node:node-9");
    await request("manual-approve", "system:node:node-8");
    const kpctl = (...args: string[]) => runKpctl(cp.apiserver.grpcAddress, args);
    const pending = await kpctl("get", "csr", "manual-deny");
    assert.match(pending.stdout, /manual-deny\s+\S+\s+kubernetes\.io\/kube-apiserver-client-kubelet\s+kubernetes-admin\s+<none>\s+Pending/);
    assert.equal((await kpctl("certificate", "deny", "manual-deny")).code, 0);
    assert.equal((await kpctl("certificate", "approve", "manual-approve")).code, 0);
    await waitFor(async () => /Approved,Issued/.test((await kpctl("get", "csr", "manual-approve")).stdout), { timeoutMs: 15_000, message: "the manually approved CSR to be signed" });
    assert.match((await kpctl("get", "csr", "manual-deny")).stdout, /\sDenied\s*$/m);
    const again = await kpctl("certificate", "approve", "manual-deny");
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already denied/);
  });

  it("refuses a CA whose public key does not have the pinned hash", async () => {
    await assert.rejects(
      bootstrapKubeletTls({ apiserver: cp.apiserver.grpcAddress, caFile: testPkiNow().caFile, caCertHash: `sha256:${"0".repeat(64)}`, bootstrapToken: "abcdef.0123456789abcdef", certDir: join(certRoot, "pinned"), nodeName: "node-x", nodeIp: "127.0.0.1" }, logger),
      CaHashMismatchError,
    );
  });
});
