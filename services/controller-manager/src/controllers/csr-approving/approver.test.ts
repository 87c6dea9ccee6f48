// Unit tests of the csrapproving decision on real PKCS#10 requests.
import assert from "node:assert/strict";
import { test } from "node:test";
import { certificatesV1, coreV1Node } from "@kubeplane/api";
import { createCsr } from "@kubeplane/pki";
import { decide } from "./approver.js";

async function csr(opts: { cn: string; o?: string[]; ips?: string[]; dns?: string[]; signer?: string; usages?: string[]; username: string; groups: string[] }) {
  const { csrPem } = await createCsr({ commonName: opts.cn, organizations: opts.o ?? ["system:nodes"], ipAddresses: opts.ips ?? [], dnsNames: opts.dns ?? [] });
  return certificatesV1.CertificateSigningRequest.fromPartial({
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { name: "csr-1" },
    spec: {
      request: Buffer.from(csrPem).toString("base64"),
      signerName: opts.signer ?? "kubernetes.io/kube-apiserver-client-kubelet",
      usages: opts.usages ?? ["digital signature", "client auth"],
      username: opts.username,
      groups: opts.groups,
    },
  });
}

const node3 = coreV1Node.Node.fromPartial({
  metadata: { name: "node-3" },
  status: { addresses: [{ type: "InternalIP", address: "10.0.0.3" }, { type: "Hostname", address: "node-3.local" }] },
});
const nodes = (name: string) => (name === "node-3" ? node3 : undefined);
const bootstrapper = { username: "system:bootstrap:abcdef", groups: ["system:bootstrappers", "system:authenticated"] };
const self = { username: "system:node:node-3", groups: ["system:nodes", "system:authenticated"] };

test("a node client CSR from a bootstrap token user, or from the node renewing itself, is approved", async () => {
  assert.equal((await decide(await csr({ cn: "system:node:node-3", ...bootstrapper }), nodes)).approve, true);
  assert.equal((await decide(await csr({ cn: "system:node:node-3", ...self }), nodes)).approve, true);
});

test("client CSRs with another subject, extra usages, SANs or from another node are left pending", async () => {
  const pending = async (c: Awaited<ReturnType<typeof csr>>, why: RegExp): Promise<void> => {
    const verdict = await decide(c, nodes);
    assert.equal(verdict.approve, false);
    assert.match((verdict as { reason: string }).reason, why);
  };
  await pending(await csr({ cn: "admin", ...bootstrapper }), /CN must be system:node/);
  await pending(await csr({ cn: "system:node:node-3", o: ["system:masters"], ...bootstrapper }), /O must be exactly system:nodes/);
  await pending(await csr({ cn: "system:node:node-3", o: ["system:nodes", "system:masters"], ...bootstrapper }), /O must be exactly/);
  await pending(await csr({ cn: "system:node:node-3", usages: ["client auth", "server auth"], ...bootstrapper }), /usages/);
  await pending(await csr({ cn: "system:node:node-3", ips: ["10.0.0.3"], ...bootstrapper }), /no DNS or IP SANs/);
  await pending(await csr({ cn: "system:node:node-3", username: "system:node:node-4", groups: ["system:nodes"] }), /neither a bootstrapper/);
  await pending(await csr({ cn: "system:node:node-3", signer: "example.com/other", ...bootstrapper }), /not auto-approved/);
});

test("a serving CSR is approved only from the node itself and only for the node's own addresses", async () => {
  const serving = { signer: "kubernetes.io/kubelet-serving", usages: ["digital signature", "key encipherment", "server auth"] };
  assert.equal((await decide(await csr({ cn: "system:node:node-3", ips: ["10.0.0.3"], dns: ["node-3", "node-3.local"], ...serving, ...self }), nodes)).approve, true);
  assert.match(JSON.stringify(await decide(await csr({ cn: "system:node:node-3", ips: ["10.0.0.9"], ...serving, ...self }), nodes)), /10\.0\.0\.9 is not an address/);
  assert.match(JSON.stringify(await decide(await csr({ cn: "system:node:node-3", dns: ["apiserver"], ...serving, ...self }), nodes)), /apiserver is not a name/);
  assert.match(JSON.stringify(await decide(await csr({ cn: "system:node:node-3", ips: ["10.0.0.3"], ...serving, ...bootstrapper }), nodes)), /is not node/);
  assert.match(JSON.stringify(await decide(await csr({ cn: "system:node:node-5", ips: ["10.0.0.3"], ...serving, username: "system:node:node-5", groups: ["system:nodes"] }), nodes)), /not registered/);
});
