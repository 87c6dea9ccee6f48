// Kubelet TLS bootstrapping: pin the CA, then get the node's client certificate with a bootstrap token, and a serving certificate to start with.
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ApiClient } from "@kubeplane/client";
import { createUntrustedServingCertificate, publicKeyHash } from "@kubeplane/pki";
import type { Logger } from "@kubeplane/service-kit";
import { CLIENT_CERT_FILE, readStoredCertificate, SERVING_CERT_FILE, writeStoredCertificate } from "./cert-files.js";
import { KUBELET_CLIENT_SIGNER, requestCertificate } from "./csr-request.js";
import { CaHashMismatchError, TlsBootstrapError } from "./errors.js";

export const NODES_GROUP = "system:nodes";
export const nodeUser = (nodeName: string): string => `system:node:${nodeName}`;

/** What TLS bootstrapping starts from: kubeadm join's inputs. */
export interface TlsBootstrapSettings {
  apiserver: string;
  /** The cluster CA (PEM). Not trusted as such: its public key must hash to caCertHash. */
  caFile: string;
  /** "sha256:<hex>" of the CA's SubjectPublicKeyInfo (kubeadm's --discovery-token-ca-cert-hash). */
  caCertHash: string;
  /** `<id>.<secret>`; needed only while certDir holds no valid client certificate. */
  bootstrapToken?: string | undefined;
  certDir: string;
  nodeName: string;
  nodeIp: string;
  signal?: AbortSignal;
}

/** The files TLS bootstrapping left: each PEM holds certificate and key. */
export interface BootstrappedFiles {
  clientFile: string;
  servingFile: string;
}

/** Throws CaHashMismatchError unless the CA file's public key has the pinned hash. */
export async function verifyPinnedCa(caFile: string, caCertHash: string): Promise<void> {
  const actual = publicKeyHash(await readFile(caFile));
  if (actual.toLowerCase() !== caCertHash.toLowerCase()) throw new CaHashMismatchError(caCertHash, actual);
}

/** Whether `certificate` is valid now and was issued by the CA in `caPem`. */
export function trustedNow(certificate: X509Certificate, caPem: Buffer, now = Date.now()): boolean {
  const ca = new X509Certificate(caPem);
  return certificate.checkIssued(ca) && certificate.verify(ca.publicKey) && Date.parse(certificate.validFrom) <= now && now < Date.parse(certificate.validTo);
}

/**
 * Makes sure certDir holds a client certificate for system:node:<nodeName> issued by the pinned
 * CA, asking for one with the bootstrap token when it does not (kubelet's --bootstrap-kubeconfig),
 * and a serving certificate: a valid one from an earlier run, else an untrusted one that the
 * rotation replaces once the Node is registered. Throws CaHashMismatchError, TlsBootstrapError
 * (no token, request denied), or the apiserver's ApiError (an invalid token: Unauthorized).
 */
export async function bootstrapKubeletTls(settings: TlsBootstrapSettings, logger: Logger): Promise<BootstrappedFiles> {
  await verifyPinnedCa(settings.caFile, settings.caCertHash);
  const caPem = await readFile(settings.caFile);
  const clientFile = join(settings.certDir, CLIENT_CERT_FILE);
  const servingFile = join(settings.certDir, SERVING_CERT_FILE);
  const client = await readStoredCertificate(clientFile);
  const mine = client && trustedNow(client.certificate, caPem) && client.certificate.subject.split("\n").includes(`CN=${nodeUser(settings.nodeName)}`);
  if (!mine) {
    if (!settings.bootstrapToken) throw new TlsBootstrapError(`no valid client certificate in ${clientFile} and no bootstrap token to request one`);
    logger.info({ node: settings.nodeName }, "requesting a client certificate with the bootstrap token");
    const bootstrap = ApiClient.connect({ server: settings.apiserver, caFile: settings.caFile, token: settings.bootstrapToken, userAgent: "kubeplane-kubelet-bootstrap" });
    try {
      const issued = await requestCertificate(bootstrap, {
        signerName: KUBELET_CLIENT_SIGNER,
        usages: ["digital signature", "client auth"],
        commonName: nodeUser(settings.nodeName),
        organizations: [NODES_GROUP],
        ...(settings.signal ? { signal: settings.signal } : {}),
      });
      await writeStoredCertificate(clientFile, issued.certPem, issued.keyPem);
    } finally {
      bootstrap.close();
    }
    logger.info({ node: settings.nodeName, file: clientFile }, "client certificate issued");
  }
  const serving = await readStoredCertificate(servingFile);
  if (!serving || Date.now() >= serving.notAfter.getTime()) {
    const { certPem, keyPem } = await createUntrustedServingCertificate({ commonName: nodeUser(settings.nodeName), organizations: [NODES_GROUP], dnsNames: [settings.nodeName], ipAddresses: [settings.nodeIp] }, 24 * 3600);
    await writeStoredCertificate(servingFile, certPem, keyPem);
  }
  return { clientFile, servingFile };
}
