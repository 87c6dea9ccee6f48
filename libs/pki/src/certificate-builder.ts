// Builds CA and leaf certificates with the extensions Kubernetes' PKI uses (kubeadm's shapes).
import { isIP } from "node:net";
import { x509 } from "./x509.js";
import { signingAlgorithm, type CryptoKey, type CryptoKeyPair } from "./keys.js";
import { InvalidCertSpecError } from "./errors.js";
import type { Usage, Validity } from "./types.js";

/** Certificates start a little in the past so a peer whose clock lags accepts them (kubeadm: 5 min). */
export const backdateMs = 5 * 60 * 1000;
const dayMs = 24 * 60 * 60 * 1000;

/** A CA able to sign: its certificate and private key. */
export interface SigningCa {
  cert: x509.X509Certificate;
  key: CryptoKey;
}

/** Subject and SANs of a leaf certificate. */
export interface LeafSubject {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
}

export function subjectName(commonName: string, organizations: readonly string[] = []): x509.JsonName {
  return [...organizations.map((o) => ({ O: [o] })), { CN: [commonName] }];
}

/** Lifetime in ms from `validitySeconds`, else `validityDays`, else `defaultDays`. */
export function validityMs(validity: Validity, defaultDays: number): number {
  const ms =
    validity.validitySeconds !== undefined
      ? validity.validitySeconds * 1000
      : (validity.validityDays ?? defaultDays) * dayMs;
  if (!Number.isFinite(ms) || ms <= 0) throw new InvalidCertSpecError(`validity must be positive, got ${ms / 1000}s`);
  return ms;
}

/** A self-signed CA: CA:true pathLen 0, keyCertSign + cRLSign, subject key identifier. */
export async function createCaCertificate(
  commonName: string,
  lifetimeMs: number,
  keys: CryptoKeyPair,
): Promise<x509.X509Certificate> {
  const now = Date.now();
  return await x509.X509CertificateGenerator.createSelfSigned({
    name: subjectName(commonName),
    keys,
    notBefore: new Date(now - backdateMs),
    notAfter: new Date(now + lifetimeMs),
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
}

/**
 * A leaf signed by `ca`: CA:false, digitalSignature + keyEncipherment, serverAuth/clientAuth per
 * usage, SANs when given, subject and authority key identifiers. Its notAfter never passes the CA's.
 */
export async function signLeafCertificate(
  ca: SigningCa,
  publicKey: CryptoKey | x509.PublicKey,
  subject: LeafSubject,
  usages: readonly Usage[],
  lifetimeMs: number,
  backdate: number = backdateMs,
): Promise<x509.X509Certificate> {
  if (usages.length === 0) throw new InvalidCertSpecError(`certificate for "${subject.commonName}" has no usages`);
  if (subject.commonName === "") throw new InvalidCertSpecError("a certificate needs a common name");
  for (const ip of subject.ipAddresses ?? []) {
    if (isIP(ip) === 0) throw new InvalidCertSpecError(`"${ip}" is not an IP address`);
  }
  const now = Date.now();
  const notAfter = Math.min(now + lifetimeMs, ca.cert.notAfter.getTime());
  const caKeyId = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const sans: x509.JsonGeneralNames = [
    ...(subject.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(subject.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(
      usages.map((u) => (u === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth)),
      false,
    ),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    caKeyId !== undefined
      ? new x509.AuthorityKeyIdentifierExtension(caKeyId)
      : await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
  return await x509.X509CertificateGenerator.create({
    subject: subjectName(subject.commonName, subject.organizations),
    issuer: ca.cert.subjectName,
    publicKey,
    signingKey: ca.key,
    notBefore: new Date(now - backdate),
    notAfter: new Date(notAfter),
    signingAlgorithm,
    extensions,
  });
}
