// The csrapproving decision: which kubelet CSRs may be approved without a human, and why.
import type { coreV1Node } from "@kubeplane/api";
import { verifyCsr } from "@kubeplane/pki";
import { csrPem, kubeletCsrProblem, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER, NODES_GROUP, type Csr } from "../util/csr.js";

type Node = coreV1Node.Node;

/** The group of bootstrap token users (`system:bootstrap:<id>`). */
const BOOTSTRAPPERS_GROUP = "system:bootstrappers";

/** What the approver concluded: approve with a message, or leave for a human with the reason. */
export type Verdict = { approve: true; message: string } | { approve: false; reason: string };

/**
 * Decides on one pending CSR (Kubernetes' sarapprove, with group checks where it asks RBAC):
 * - kube-apiserver-client-kubelet: a well-formed node client request (CN system:node:<x>, O
 *   system:nodes, client usages, no SANs) from a bootstrap token user, or from that node itself
 *   renewing (requester = CN);
 * - kubelet-serving: a well-formed node serving request from that node itself (requester = CN, in
 *   system:nodes) whose every SAN is one of the Node's own addresses (or its name).
 * Anything else is left pending (never denied): an administrator may still approve it.
 * `node` looks a Node up by name (a lister). Throws only when the request cannot be read.
 */
export async function decide(csr: Csr, node: (name: string) => Node | undefined): Promise<Verdict> {
  const spec = csr.spec;
  if (!spec) return { approve: false, reason: "no spec" };
  if (spec.signerName !== KUBELET_CLIENT_SIGNER && spec.signerName !== KUBELET_SERVING_SIGNER) return { approve: false, reason: `signer ${spec.signerName} is not auto-approved` };
  let subject;
  try {
    subject = (await verifyCsr(csrPem(csr))).subject;
  } catch (err) {
    return { approve: false, reason: `unreadable request: ${(err as Error).message}` };
  }
  const problem = kubeletCsrProblem(spec.signerName, spec.usages, subject);
  if (problem) return { approve: false, reason: problem };
  const self = spec.username === subject.commonName;
  if (spec.signerName === KUBELET_CLIENT_SIGNER) {
    if (self) return { approve: true, message: "Auto approving self kubelet client certificate after SubjectAccessReview." };
    if (spec.groups.includes(BOOTSTRAPPERS_GROUP)) return { approve: true, message: "Auto approving kubelet client certificate after SubjectAccessReview." };
    return { approve: false, reason: `requester ${spec.username} is neither a bootstrapper nor ${subject.commonName}` };
  }
  if (!self || !spec.groups.includes(NODES_GROUP)) return { approve: false, reason: `requester ${spec.username} is not node ${subject.commonName}` };
  const nodeName = subject.commonName.slice("system:node:".length);
  const n = node(nodeName);
  if (!n) return { approve: false, reason: `node ${nodeName} is not registered` };
  const addresses = n.status?.addresses ?? [];
  const ips = new Set(addresses.filter((a) => a.type === "InternalIP" || a.type === "ExternalIP").map((a) => a.address));
  const names = new Set([nodeName, ...addresses.filter((a) => a.type === "Hostname" || a.type === "InternalDNS" || a.type === "ExternalDNS").map((a) => a.address)]);
  const foreignIp = (subject.ipAddresses ?? []).find((ip) => !ips.has(ip));
  if (foreignIp) return { approve: false, reason: `IP SAN ${foreignIp} is not an address of node ${nodeName}` };
  const foreignName = (subject.dnsNames ?? []).find((d) => !names.has(d));
  if (foreignName) return { approve: false, reason: `DNS SAN ${foreignName} is not a name of node ${nodeName}` };
  return { approve: true, message: "Auto approving kubelet serving certificate: its SANs are the node's own addresses." };
}
