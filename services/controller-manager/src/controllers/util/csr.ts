// CertificateSigningRequest predicates shared by the approving and signing controllers: signers, decisions, kubelet subjects.
import { kindForResource, type certificatesV1, type KindInfo } from "@kubeplane/api";

export type Csr = certificatesV1.CertificateSigningRequest;

export const csrKind = kindForResource("certificates.k8s.io", "certificatesigningrequests") as KindInfo<Csr>;

/** The signer of kubelets' client certificates (CN system:node:<name>, O system:nodes). */
export const KUBELET_CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet";
/** The signer of kubelets' serving certificates. */
export const KUBELET_SERVING_SIGNER = "kubernetes.io/kubelet-serving";

export const NODE_USER_PREFIX = "system:node:";
export const NODES_GROUP = "system:nodes";

/** Whether the request has a condition of `type` whose status is True. */
export function hasCondition(csr: Csr, type: string): boolean {
  return (csr.status?.conditions ?? []).some((c) => c.type === type && c.status === "True");
}

/** Approved or Denied: someone decided. */
export function isDecided(csr: Csr): boolean {
  return hasCondition(csr, "Approved") || hasCondition(csr, "Denied");
}

/** The PEM request (spec.request is base64 in the API). */
export function csrPem(csr: Csr): string {
  return Buffer.from(csr.spec?.request ?? "", "base64").toString("utf8");
}

/** What a CSR's subject says, as verified from its PEM. */
export interface CsrSubject {
  commonName: string;
  organizations?: string[] | undefined;
  dnsNames?: string[] | undefined;
  ipAddresses?: string[] | undefined;
}

const clientUsages = new Set(["client auth", "digital signature", "key encipherment"]);
const servingUsages = new Set(["server auth", "digital signature", "key encipherment"]);

/**
 * Whether a request fits its kubelet signer (Kubernetes' IsKubeletClientCSR / IsKubeletServingCSR):
 * CN system:node:<name>, O exactly [system:nodes], usages only the signer's and including its
 * auth usage; a client certificate names no SANs, a serving one at least one. Returns the reason
 * it does not, or undefined.
 */
export function kubeletCsrProblem(signer: string, usages: readonly string[], subject: CsrSubject): string | undefined {
  if (!subject.commonName.startsWith(NODE_USER_PREFIX) || subject.commonName.length === NODE_USER_PREFIX.length) return `subject CN must be system:node:<name>, not ${subject.commonName}`;
  const orgs = subject.organizations ?? [];
  if (orgs.length !== 1 || orgs[0] !== NODES_GROUP) return `subject O must be exactly ${NODES_GROUP}`;
  const sans = (subject.dnsNames?.length ?? 0) + (subject.ipAddresses?.length ?? 0);
  if (signer === KUBELET_CLIENT_SIGNER) {
    if (sans > 0) return "a kubelet client certificate names no DNS or IP SANs";
    if (!usages.includes("client auth") || usages.some((u) => !clientUsages.has(u))) return "usages must be client auth (with digital signature, key encipherment) only";
    return undefined;
  }
  if (signer === KUBELET_SERVING_SIGNER) {
    if (sans === 0) return "a kubelet serving certificate names at least one DNS or IP SAN";
    if (!usages.includes("server auth") || usages.some((u) => !servingUsages.has(u))) return "usages must be server auth (with digital signature, key encipherment) only";
    return undefined;
  }
  return `signer ${signer} is not a kubelet signer`;
}
