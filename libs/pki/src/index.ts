// The cluster PKI: certificate authorities, component and node certificates, CSR signing, expiry.
export type { CaName, CertInfo, CertSpec, IssuedCert, ParsedCertificate, Usage, Validity } from "./types.js";
export {
  Pki,
  initPki,
  initPkiReport,
  loadPki,
  type CertPaths,
  type InitPkiOptions,
  type InitPkiReport,
  type SignCsrOptions,
} from "./pki.js";
export { createCsr, verifyCsr, type CreatedCsr, type VerifiedCsr } from "./csr.js";
export { CsrSigner, publicKeyHash } from "./csr-signer.js";
export { createUntrustedServingCertificate } from "./self-signed.js";
export { readCertificate, certificateExpiry } from "./certificate-info.js";
export {
  clusterCertSpecs,
  splitAddresses,
  type ClusterTopology,
  type MachineAddresses,
  type SanList,
} from "./cluster-specs.js";
export {
  ensureClusterPki,
  type EnsureClusterPkiOptions,
  type EnsureClusterPkiResult,
  type IssueReason,
} from "./ensure-cluster-pki.js";
export {
  CertificateNotFoundError,
  InvalidCertSpecError,
  InvalidCsrError,
  PkiLockTimeoutError,
  PkiNotInitializedError,
  isCertificateNotFound,
  isInvalidCsr,
} from "./errors.js";
