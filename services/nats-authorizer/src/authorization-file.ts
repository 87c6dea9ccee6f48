// The authorization file nats.conf includes: static users from the PKI and one user per Node, rendered with libs/watch's one permission model.
import { certificateUser, natsIdentityOf, nodeNatsIdentity, renderNatsAuthorization, type CertificateSubject, type NatsIdentity } from "@kubeplane/watch";

const HEADER = "# Rendered by the nats-authorizer (services/nats-authorizer) from the static users file and the cluster's Nodes. Do not edit.\n";

/**
 * The file's text for these static subjects and node names. Deterministic (static users in file
 * order, then nodes sorted by name), so an unchanged cluster renders the same bytes and causes no
 * reload. A static subject that is itself a node (`system:node:<name>`) is dropped: node users come
 * only from Nodes, so deleting a Node always revokes its user. Users are unique by subject DN.
 */
export function renderAuthorizationFile(staticSubjects: readonly CertificateSubject[], nodeNames: Iterable<string>): string {
  const identities: NatsIdentity[] = [];
  const seen = new Set<string>();
  const add = (identity: NatsIdentity | undefined): void => {
    if (!identity) return;
    const user = certificateUser(identity.commonName, identity.organizations);
    if (seen.has(user)) return;
    seen.add(user);
    identities.push(identity);
  };
  for (const subject of staticSubjects) {
    const identity = natsIdentityOf(subject);
    if (identity?.role.kind !== "node") add(identity);
  }
  for (const node of [...new Set(nodeNames)].sort()) add(nodeNatsIdentity(node));
  return HEADER + renderNatsAuthorization(identities);
}
