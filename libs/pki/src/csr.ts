// Certificate signing requests (PKCS#10): creating one with a fresh key, and checking one before signing.
import { x509 } from "./x509.js";
import { generateKeyPair, privateKeyPem, signingAlgorithm } from "./keys.js";
import { subjectName, type LeafSubject } from "./certificate-builder.js";
import { canonicalIp } from "./certificate-info.js";
import { InvalidCsrError } from "./errors.js";

const subjectAltNameOid = "2.5.29.17";

/** A CSR and the private key it was made for, both PEM (the key PKCS#8). */
export interface CreatedCsr {
  csrPem: string;
  keyPem: string;
}

/** Creates an EC P-256 key and a CSR for it with subject CN/O and the given SANs (kubelet bootstrap). */
export async function createCsr(opts: LeafSubject): Promise<CreatedCsr> {
  const keys = await generateKeyPair();
  const sans: x509.JsonGeneralNames = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(opts.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subjectName(opts.commonName, opts.organizations),
    keys,
    signingAlgorithm,
    extensions: sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans)] : [],
  });
  return { csrPem: csr.toString("pem") + "\n", keyPem: await privateKeyPem(keys.privateKey) };
}

/** A CSR whose self-signature verified: its public key and the subject and SANs it asks for. */
export interface VerifiedCsr {
  publicKey: x509.PublicKey;
  subject: LeafSubject;
}

/** Parses a PEM CSR and verifies its signature; throws InvalidCsrError when it is not sound. */
export async function verifyCsr(csrPem: string): Promise<VerifiedCsr> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (error) {
    throw new InvalidCsrError("not a PEM certificate signing request", { cause: error });
  }
  let valid: boolean;
  try {
    valid = await csr.verify();
  } catch (error) {
    throw new InvalidCsrError("the request's signature cannot be checked", { cause: error });
  }
  if (!valid) throw new InvalidCsrError("the request's signature does not match its content");
  const commonName = csr.subjectName.getField("CN")[0];
  if (commonName === undefined || commonName === "") throw new InvalidCsrError("the request has no common name");
  const san = csr.getExtension(subjectAltNameOid);
  const names = san === null ? [] : new x509.SubjectAlternativeNameExtension(san.rawData).names.items;
  return {
    publicKey: csr.publicKey,
    subject: {
      commonName,
      organizations: csr.subjectName.getField("O"),
      dnsNames: names.filter((n) => n.type === "dns").map((n) => n.value),
      ipAddresses: names.filter((n) => n.type === "ip").map((n) => canonicalIp(n.value)),
    },
  };
}
