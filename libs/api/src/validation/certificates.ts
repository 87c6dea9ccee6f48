// CertificateSigningRequest validation (certificates.k8s.io/v1): the request, signer, usages, lifetime, conditions.
import { duplicate, FieldPath, forbidden, invalid, notSupported, required, type FieldError } from "../field-errors.js";
import type { CertificateSigningRequest } from "../gen/kubeplane/certificates/v1/certificate_signing_request.js";

/** Kubernetes' KeyUsage values a request may ask for. */
export const CSR_KEY_USAGES: readonly string[] = [
  "signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment",
  "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing",
  "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
  "microsoft sgc", "netscape sgc",
];

/** The shortest certificate lifetime a request may ask for (Kubernetes: 10 minutes). */
export const MIN_CSR_EXPIRATION_SECONDS = 600;

const signerNamePattern = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Whether `request` (base64 of PEM) holds a PEM certificate request block. */
function isPemCsr(request: string): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(request)) return false;
  const pem = Buffer.from(request, "base64").toString("utf8");
  return /-----BEGIN CERTIFICATE REQUEST-----[\s\S]+-----END CERTIFICATE REQUEST-----/.test(pem);
}

/** A CSR on create and update: a PEM request, a signer name, known unique usages, at least 10 minutes; the spec immutable. */
export function validateCsr(csr: CertificateSigningRequest, old?: CertificateSigningRequest): FieldError[] {
  const spec = FieldPath.root("spec");
  const errs: FieldError[] = [];
  const s = csr.spec;
  if (!s?.request) errs.push(required(spec.child("request")));
  else if (!isPemCsr(s.request)) errs.push(invalid(spec.child("request"), "<request>", "must be a base64-encoded PEM CERTIFICATE REQUEST"));
  if (!s?.signerName) errs.push(required(spec.child("signerName")));
  else if (!signerNamePattern.test(s.signerName)) errs.push(invalid(spec.child("signerName"), s.signerName, "must be a fully qualified domain and path of the form 'example.com/signer-name'"));
  if (!s?.usages.length) errs.push(required(spec.child("usages")));
  const seen = new Set<string>();
  (s?.usages ?? []).forEach((u, i) => {
    const path = spec.child("usages").index(i);
    if (!CSR_KEY_USAGES.includes(u)) errs.push(notSupported(path, u, CSR_KEY_USAGES));
    if (seen.has(u)) errs.push(duplicate(path, u));
    seen.add(u);
  });
  const exp = s?.expirationSeconds;
  if (exp !== undefined && exp < MIN_CSR_EXPIRATION_SECONDS) errs.push(invalid(spec.child("expirationSeconds"), exp, `may not specify a duration less than ${MIN_CSR_EXPIRATION_SECONDS} seconds`));
  if (old && JSON.stringify(old.spec) !== JSON.stringify(csr.spec)) errs.push(forbidden(spec, "field is immutable"));
  errs.push(...validateCsrStatus(csr));
  return errs;
}

/** The conditions: each type once, Approved and Denied never both, a certificate only once approved. */
export function validateCsrStatus(csr: CertificateSigningRequest): FieldError[] {
  const path = FieldPath.root("status").child("conditions");
  const errs: FieldError[] = [];
  const conditions = csr.status?.conditions ?? [];
  const types = new Set<string>();
  conditions.forEach((c, i) => {
    if (!c.type) errs.push(required(path.index(i).child("type")));
    if (types.has(c.type)) errs.push(duplicate(path.index(i).child("type"), c.type));
    types.add(c.type);
  });
  const isTrue = (type: string): boolean => conditions.some((c) => c.type === type && c.status === "True");
  if (isTrue("Approved") && isTrue("Denied")) errs.push(invalid(path, "Approved", "Approved and Denied conditions are mutually exclusive"));
  if (csr.status?.certificate && !isTrue("Approved")) errs.push(invalid(FieldPath.root("status").child("certificate"), "<certificate>", "may only be set when the Approved condition is True"));
  return errs;
}
