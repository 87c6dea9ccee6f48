// A real node joins with only a bootstrap token and the CA hash, inside a network namespace of the test's own: the kubelet
// (containerd, runc, CNI) gets its client and serving certificates from CSRs, becomes Ready, runs a pod whose log the
// apiserver reads over the kubelet's CA-signed serving certificate, and renews both certificates before they expire.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { coreV1Pod, kindFor, type coordinationV1, type coreV1Node, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { BUSYBOX_IMAGE, clientTls, enterTestNetns, runKpctl, startControlPlane, startNodeStack, testPkiNow, waitFor, type ControlPlane, type NodeStack, type ServiceProcess } from "@kubeplane/testing";
import { startCsrControllers } from "./fixtures/csr-controllers.js";

await enterTestNetns(import.meta.url);

const NODE = "node-join";
const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const nodes = kindFor("v1", "Node") as KindInfo<coreV1Node.Node>;
const leases = kindFor("coordination.k8s.io/v1", "Lease") as KindInfo<coordinationV1.Lease>;
/** Signed certificates live this long, so the kubelet renews them within the test. */
const SIGNING_SECONDS = 40;

describe("a real kubelet joins with a bootstrap token", () => {
  let cp: ControlPlane | undefined;
  let cm: ServiceProcess | undefined;
  let node: NodeStack | undefined;
  let client: ApiClient;
  let dir = "";
  const kpctl = (...args: string[]): ReturnType<typeof runKpctl> => runKpctl(cp!.apiserver.grpcAddress, args);
  const certificate = async (file: string): Promise<X509Certificate> => new X509Certificate(await readFile(join(dir, "pki", file)));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "kp-node-join-"));
    cp = await startControlPlane();
    client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
    const pki = testPkiNow();
    cm = await startCsrControllers(cp, SIGNING_SECONDS);
    const join_ = await kpctl("token", "create", "--ttl", "1h", "--print-join-command");
    assert.equal(join_.code, 0, join_.stderr);
    const flag = (name: string): string => new RegExp(`--${name}=(\\S+)`).exec(join_.stdout)?.[1] ?? "";
    node = await startNodeStack(cp, {
      nodeName: NODE,
      podCidr: "10.88.30.0/24",
      kubeletFlags: { "cert-dir": join(dir, "pki"), "bootstrap-token": flag("bootstrap-token"), "ca-cert-hash": flag("ca-cert-hash"), "ca-file": pki.caFile, "sync-frequency": "2s" },
    });
  });

  after(async () => {
    await node?.stop();
    await cm?.kill();
    client?.close();
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("runs as system:node:<name> on certificates from CSRs, serves logs, and renews both certificates before expiry", async () => {
    const ca = new X509Certificate(await readFile(testPkiNow().caFile));
    const firstClient = await certificate("kubelet-client-current.pem");
    assert.match(firstClient.subject, new RegExp(`CN=system:node:${NODE}`));
    assert.ok(firstClient.checkIssued(ca));
    await waitFor(async () => ((await client.get(nodes, "", NODE)) as coreV1Node.Node).status?.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false, {
      timeoutMs: 60_000,
      message: `${NODE} Ready`,
    });
    // The node's serving certificate is the CA's (the apiserver verifies it before proxying logs).
    assert.ok((await certificate("kubelet-server-current.pem")).checkIssued(ca));
    await client.create(pods, coreV1Pod.Pod.fromPartial({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { namespace: "default", name: "joined" },
      spec: { nodeName: NODE, containers: [{ name: "c", image: BUSYBOX_IMAGE, command: ["sh", "-c", "echo joined-node-says-hi; sleep 3600"] }], terminationGracePeriodSeconds: 0 },
    }));
    const logs = async (): Promise<boolean> => (await kpctl("logs", "joined")).stdout.includes("joined-node-says-hi");
    await waitFor(logs, { timeoutMs: 90_000, intervalMs: 500, message: "the pod's log through the apiserver" });

    const firstServing = await certificate("kubelet-server-current.pem");
    await waitFor(async () => (await certificate("kubelet-client-current.pem")).serialNumber !== firstClient.serialNumber && (await certificate("kubelet-server-current.pem")).serialNumber !== firstServing.serialNumber, {
      timeoutMs: 60_000,
      intervalMs: 500,
      message: "both certificates renewed",
    });
    const renewedAt = Date.now();
    assert.ok(renewedAt < Date.parse(firstClient.validTo) && renewedAt < Date.parse(firstServing.validTo), "renewed before expiry");
    // Past the first certificates' expiry the node still heartbeats and the apiserver still reads logs over TLS.
    await waitFor(() => Date.now() > Math.max(Date.parse(firstClient.validTo), Date.parse(firstServing.validTo)) + 1000, { timeoutMs: 60_000, intervalMs: 500, message: "the first certificates to expire" });
    const renew = ((await client.get(leases, "kube-node-lease", NODE)) as coordinationV1.Lease).spec?.renewTime;
    await waitFor(async () => ((await client.get(leases, "kube-node-lease", NODE)) as coordinationV1.Lease).spec?.renewTime !== renew, { timeoutMs: 20_000, message: "a Lease renewal after expiry" });
    await waitFor(logs, { timeoutMs: 20_000, intervalMs: 500, message: "logs after the serving certificate rotated" });
  });
});
