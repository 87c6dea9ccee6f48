// Asks the cluster for a certificate: a fresh key, a CertificateSigningRequest, then waiting until it is signed.
import { createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { certificatesV1, kindForResource, type KindInfo } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import { createCsr } from "@kubeplane/pki";
import { TlsBootstrapError } from "./errors.js";

type Csr = certificatesV1.CertificateSigningRequest;
const csrKind = kindForResource("certificates.k8s.io", "certificatesigningrequests") as KindInfo<Csr>;

export const KUBELET_CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet";
export const KUBELET_SERVING_SIGNER = "kubernetes.io/kubelet-serving";

/** What to ask for. */
export interface CertificateRequest {
  signerName: string;
  usages: string[];
  commonName: string;
  organizations: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  /** The lifetime asked for (the signer may cap it); unset: the signer's default. */
  expirationSeconds?: number;
  /** How often the request is polled; default 500 ms. */
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * Creates a key and a CSR for it as `client`'s user (the apiserver records who asked), then polls
 * until a certificate is issued for that key. Throws TlsBootstrapError when the request is Denied
 * or Failed or the certificate is not for the key; ApiErrors of the calls; the signal's reason.
 */
export async function requestCertificate(client: ApiClient, req: CertificateRequest): Promise<{ certPem: string; keyPem: string }> {
  const { csrPem, keyPem } = await createCsr({ commonName: req.commonName, organizations: req.organizations, dnsNames: req.dnsNames ?? [], ipAddresses: req.ipAddresses ?? [] });
  const name = `csr-${randomBytes(5).toString("hex")}`;
  await client.create(csrKind, certificatesV1.CertificateSigningRequest.fromPartial({
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { name },
    spec: { request: Buffer.from(csrPem).toString("base64"), signerName: req.signerName, usages: req.usages, expirationSeconds: req.expirationSeconds },
  }), { signal: req.signal });
  for (;;) {
    const csr = (await client.get(csrKind, "", name, { signal: req.signal })) as Csr;
    const refused = csr.status?.conditions.find((c) => (c.type === "Denied" || c.type === "Failed") && c.status === "True");
    if (refused) throw new TlsBootstrapError(`certificate signing request ${name} was ${refused.type === "Denied" ? "denied" : "not signed"}: ${refused.reason} ${refused.message}`.trim());
    if (csr.status?.certificate) {
      const certPem = Buffer.from(csr.status.certificate, "base64").toString("utf8");
      if (!new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))) throw new TlsBootstrapError(`the certificate issued for ${name} is not for its key`);
      return { certPem, keyPem };
    }
    await sleep(req.pollMs ?? 500, undefined, { signal: req.signal });
  }
}
