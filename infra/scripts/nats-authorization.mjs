// Renders NATS users from a cluster PKI: one user per client certificate of the cluster CA, its role from libs/watch's natsIdentityOf.
// Usage: node --conditions=source --import tsx infra/scripts/nats-authorization.mjs [--static-subjects] PKI_DIR
//   (default)          the whole `authorization` block: the initial file, before the nats-authorizer's first sync
//   --static-subjects  the static users' subjects as JSON (every certificate but the nodes'), which the
//                      nats-authorizer merges with the node users it derives from the cluster's Node objects
import { loadPki } from "@kubeplane/pki";
import { natsIdentityOf, renderNatsAuthorization } from "@kubeplane/watch";

const args = process.argv.slice(2);
const subjectsOnly = args[0] === "--static-subjects";
const dir = subjectsOnly ? args[1] : args[0];
if (!dir || dir.startsWith("--")) {
  console.error("usage: nats-authorization.mjs [--static-subjects] PKI_DIR");
  process.exit(2);
}
const pki = await loadPki(dir);
const identities = [];
for (const cert of await pki.list()) {
  if (cert.isCa || cert.issuer !== "cluster" || !cert.usages.includes("client")) continue;
  const identity = natsIdentityOf({ commonName: cert.commonName, organizations: cert.organizations });
  if (identity) identities.push(identity);
}
if (subjectsOnly) {
  const subjects = identities.filter((i) => i.role.kind !== "node").map((i) => ({ commonName: i.commonName, organizations: i.organizations ?? [] }));
  process.stdout.write(`${JSON.stringify(subjects, null, 2)}\n`);
} else {
  process.stdout.write(renderNatsAuthorization(identities));
}
