// Kubelet TLS bootstrapping and certificate rotation (kubelet's --bootstrap-kubeconfig, --rotate-certificates, serverTLSBootstrap).
import type { ApiClient } from "@kubeplane/client";
import type { Logger } from "@kubeplane/service-kit";
import { KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER, requestCertificate } from "./csr-request.js";
import { runCertificateRotation } from "./certificate-rotation.js";
import { NODES_GROUP, nodeUser, type BootstrappedFiles } from "./tls-bootstrap.js";

export { CLIENT_CERT_FILE, SERVING_CERT_FILE, readStoredCertificate } from "./cert-files.js";
export { requestCertificate, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER } from "./csr-request.js";
export { rotationDeadline, runCertificateRotation } from "./certificate-rotation.js";
export { CaHashMismatchError, TlsBootstrapError } from "./errors.js";
export { bootstrapKubeletTls, verifyPinnedCa, type BootstrappedFiles, type TlsBootstrapSettings } from "./tls-bootstrap.js";

/** What rotating the node's certificates needs. */
export interface NodeRotationOptions {
  files: BootstrappedFiles;
  caFile: string;
  /** The client authenticated as the node (its certificate files are watched, so it follows rotation). */
  client: ApiClient;
  nodeName: string;
  nodeIp: string;
  /** After the client certificate changed: reconnect what does not re-read it (NATS). */
  clientRotated: () => Promise<void> | void;
  /** After the serving certificate changed: reload the gRPC and HTTP listeners. */
  servingRotated: () => Promise<void> | void;
  logger: Logger;
  signal: AbortSignal;
  renewFraction?: () => number;
}

/**
 * Starts the two rotation loops (client and serving certificate), each renewing with a CSR made
 * as the node itself; they end when the signal aborts. Call once the Node is registered: a
 * serving request is approved only for the Node's own addresses.
 */
export function startNodeCertificateRotation(opts: NodeRotationOptions): Promise<void> {
  const subject = { commonName: nodeUser(opts.nodeName), organizations: [NODES_GROUP], signal: opts.signal, pollMs: 250 };
  const common = { caFile: opts.caFile, logger: opts.logger, signal: opts.signal, ...(opts.renewFraction ? { renewFraction: opts.renewFraction } : {}) };
  return Promise.all([
    runCertificateRotation({
      ...common,
      what: "client",
      file: opts.files.clientFile,
      request: () => requestCertificate(opts.client, { ...subject, signerName: KUBELET_CLIENT_SIGNER, usages: ["digital signature", "client auth"] }),
      rotated: opts.clientRotated,
    }),
    runCertificateRotation({
      ...common,
      what: "serving",
      file: opts.files.servingFile,
      request: () =>
        requestCertificate(opts.client, { ...subject, signerName: KUBELET_SERVING_SIGNER, usages: ["digital signature", "key encipherment", "server auth"], dnsNames: [opts.nodeName], ipAddresses: [opts.nodeIp] }),
      rotated: opts.servingRotated,
    }),
  ]).then(() => undefined);
}
