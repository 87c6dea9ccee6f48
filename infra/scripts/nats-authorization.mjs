// Prints the nats-server `authorization` block for a cluster PKI: one user per client certificate.
// Usage: node --conditions=source --import tsx infra/scripts/nats-authorization.mjs PKI_DIR
// The apiserver's NATS client publishes; each node's kubelet reads only its own pods; every other
// client certificate of the cluster CA (components, admin, Prometheus) reads.
import { loadPki } from "@kubeplane/pki";
import { renderNatsAuthorization } from "@kubeplane/watch";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: nats-authorization.mjs PKI_DIR");
  process.exit(2);
}
const pki = await loadPki(dir);
const identities = [];
for (const cert of await pki.list()) {
  if (cert.isCa || cert.issuer !== "cluster" || !cert.usages.includes("client")) continue;
  if (cert.name === "apiserver-kubelet-client") continue; // talks to kubelets, never to NATS
  const base = { commonName: cert.commonName, organizations: cert.organizations };
  const node = /^system:node:(.+)$/.exec(cert.commonName)?.[1];
  if (cert.name === "apiserver-nats-client") identities.push({ ...base, role: { kind: "publisher" } });
  else if (node) identities.push({ ...base, role: { kind: "node", node } });
  else identities.push({ ...base, role: { kind: "reader" } });
}
process.stdout.write(renderNatsAuthorization(identities));
