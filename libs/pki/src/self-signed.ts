// A throwaway serving certificate (its own one-off CA, which nobody trusts): what a kubelet serves until its CSR is signed.
import { createCaCertificate, signLeafCertificate, type LeafSubject } from "./certificate-builder.js";
import { generateKeyPair, privateKeyPem } from "./keys.js";

/**
 * A serving certificate and key (PEM) for `subject`, signed by a CA created for it and then
 * forgotten, as kubelet's self-signed `kubelet.crt`: the server can listen with TLS at once, and
 * no peer that verifies against the cluster CA accepts it.
 */
export async function createUntrustedServingCertificate(subject: LeafSubject, lifetimeSeconds: number): Promise<{ certPem: string; keyPem: string }> {
  const caKeys = await generateKeyPair();
  const caCert = await createCaCertificate(`${subject.commonName}-ca@${Math.floor(Date.now() / 1000)}`, lifetimeSeconds * 1000, caKeys);
  const keys = await generateKeyPair();
  const cert = await signLeafCertificate({ cert: caCert, key: caKeys.privateKey }, keys.publicKey, subject, ["server"], lifetimeSeconds * 1000);
  return { certPem: cert.toString("pem") + "\n", keyPem: await privateKeyPem(keys.privateKey) };
}
