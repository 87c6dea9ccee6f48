// Unit tests of the csrsigning controller's signing: lifetime from expirationSeconds, usages by signer, refusal of misfits.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { certificatesV1 } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import { createLogger } from "@kubeplane/service-kit";
import { createCsr, CsrSigner, initPki } from "@kubeplane/pki";
import type { Csr } from "../util/csr.js";
import { CsrSigningController, signingLifetimeSeconds } from "./controller.js";

let dir: string;
let signer: CsrSigner;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kp-csrsigning-"));
  const pki = await initPki(dir);
  signer = await CsrSigner.load(pki.caFile("cluster"), join(dir, "ca.key"));
});
after(() => rm(dir, { recursive: true, force: true }));

async function approvedCsr(cn: string, o: string[], expirationSeconds?: number): Promise<Csr> {
  const { csrPem } = await createCsr({ commonName: cn, organizations: o });
  return certificatesV1.CertificateSigningRequest.fromPartial({
    metadata: { name: "c1", resourceVersion: "1" },
    spec: { request: Buffer.from(csrPem).toString("base64"), signerName: "kubernetes.io/kube-apiserver-client-kubelet", usages: ["client auth"], username: "system:bootstrap:abcdef", expirationSeconds },
    status: { conditions: [{ type: "Approved", status: "True", reason: "AutoApproved" }] },
  });
}

/** Runs one reconcile against a lister holding `csr` and returns what was written through the status subresource. */
async function reconcile(csr: Csr): Promise<Csr | undefined> {
  let written: Csr | undefined;
  const client = { updateStatus: async (_k: unknown, obj: Csr) => (written = obj) } as unknown as ApiClient;
  const lister = { get: () => csr } as unknown as Lister<Csr>;
  await new CsrSigningController(client, lister, async () => signer, 3600_000, createLogger("test", "error")).reconcile({ namespace: "", name: "c1" }, new AbortController().signal);
  return written;
}

test("the lifetime is expirationSeconds, at least 10 minutes, at most the configured duration", () => {
  const withExp = (s?: number) => certificatesV1.CertificateSigningRequest.fromPartial({ spec: { expirationSeconds: s } });
  assert.equal(signingLifetimeSeconds(withExp(900), 3600_000), 900);
  assert.equal(signingLifetimeSeconds(withExp(60), 3600_000), 600);
  assert.equal(signingLifetimeSeconds(withExp(7200), 3600_000), 3600);
  assert.equal(signingLifetimeSeconds(withExp(undefined), 3600_000), 3600);
});

test("an approved kubelet client CSR gets a client certificate of the CA, for the asked lifetime", async () => {
  const written = await reconcile(await approvedCsr("system:node:node-3", ["system:nodes"], 900));
  const cert = new X509Certificate(Buffer.from(written!.status!.certificate, "base64"));
  assert.match(cert.subject, /CN=system:node:node-3/);
  assert.ok(cert.checkIssued(new X509Certificate(signer.caPem)));
  const lifetime = (Date.parse(cert.validTo) - Date.now()) / 1000;
  assert.ok(lifetime > 850 && lifetime <= 900, `lifetime ${lifetime}`);
  assert.deepEqual(cert.keyUsage, ["1.3.6.1.5.5.7.3.2"]);
});

test("an approved CSR that does not fit its signer fails instead of being signed; a pending one is not touched", async () => {
  const misfit = await reconcile(await approvedCsr("system:node:node-3", ["system:masters"]));
  assert.equal(misfit!.status!.certificate, "");
  assert.equal(misfit!.status!.conditions.find((c) => c.type === "Failed")?.reason, "SignerValidationFailure");
  const pending = await approvedCsr("system:node:node-3", ["system:nodes"]);
  pending.status!.conditions = [];
  assert.equal(await reconcile(pending), undefined);
});
