// Which NATS user a cluster certificate subject is, and with which role: the one derivation the PKI renderer, libs/testing and the nats-authorizer share.
import type { NatsIdentity } from "./nats-permissions.js";

/** The apiserver's NATS client: the only publisher. */
export const NATS_PUBLISHER_COMMON_NAME = "kube-apiserver-nats-client";
/** Kubernetes' node user prefix and group: `system:node:<name>` in `system:nodes`. */
export const NODE_USER_PREFIX = "system:node:";
export const NODES_GROUP = "system:nodes";

/**
 * Client certificates of the cluster CA that never talk to NATS and so get no NATS user: the
 * apiserver's kubelet client (it dials kubelets) and the nats-authorizer (it reads Nodes from the
 * apiserver, not from NATS).
 */
export const NO_NATS_USER: ReadonlySet<string> = new Set(["kube-apiserver-kubelet-client", "system:kubeplane:nats-authorizer"]);

/** A certificate subject: its common name (the Kubernetes user) and organizations (groups). */
export interface CertificateSubject {
  commonName: string;
  organizations?: readonly string[] | undefined;
}

/** The node a `system:node:<name>` user with group `system:nodes` stands for, else undefined. */
export function nodeNameOf(subject: CertificateSubject): string | undefined {
  if (!subject.commonName.startsWith(NODE_USER_PREFIX) || !(subject.organizations ?? []).includes(NODES_GROUP)) return undefined;
  const node = subject.commonName.slice(NODE_USER_PREFIX.length);
  return node === "" ? undefined : node;
}

/** The NATS identity of a node's kubelet certificate (`CN=system:node:<name>,O=system:nodes`): own pods only. */
export function nodeNatsIdentity(node: string): NatsIdentity {
  return { commonName: `${NODE_USER_PREFIX}${node}`, organizations: [NODES_GROUP], role: { kind: "node", node } };
}

/**
 * The NATS identity of a client certificate subject of the cluster CA: the apiserver's NATS client
 * publishes; a node (`system:node:<name>` in `system:nodes`) reads its own pods only; the
 * certificates of NO_NATS_USER get none (undefined); every other one (components, the admin,
 * Prometheus, the node simulator) reads.
 */
export function natsIdentityOf(subject: CertificateSubject): NatsIdentity | undefined {
  if (NO_NATS_USER.has(subject.commonName)) return undefined;
  const base = { commonName: subject.commonName, ...(subject.organizations?.length ? { organizations: [...subject.organizations] } : {}) };
  if (subject.commonName === NATS_PUBLISHER_COMMON_NAME) return { ...base, role: { kind: "publisher" } };
  const node = nodeNameOf(subject);
  if (node !== undefined) return { ...base, role: { kind: "node", node } };
  return { ...base, role: { kind: "reader" } };
}

/** Thrown by parseCertificateSubjects for a file that is not a JSON list of subjects. */
export class CertificateSubjectsError extends Error {
  override readonly name = "CertificateSubjectsError";
  readonly code = "CERTIFICATE_SUBJECTS";
}

/**
 * Reads the static users file (`[{"commonName": "...", "organizations": ["..."]}, ...]`, written by
 * infra/scripts/nats-authorization.mjs from a PKI directory). Throws CertificateSubjectsError,
 * naming the index of the first bad entry.
 */
export function parseCertificateSubjects(text: string): CertificateSubject[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CertificateSubjectsError(`not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(value)) throw new CertificateSubjectsError("must be a JSON list of {commonName, organizations}");
  return value.map((entry: unknown, i) => {
    const e = entry as { commonName?: unknown; organizations?: unknown } | null;
    if (typeof e?.commonName !== "string" || e.commonName === "") throw new CertificateSubjectsError(`[${i}].commonName must be a non-empty string`);
    const orgs = e.organizations ?? [];
    if (!Array.isArray(orgs) || !orgs.every((o) => typeof o === "string")) throw new CertificateSubjectsError(`[${i}].organizations must be a list of strings`);
    return { commonName: e.commonName, organizations: orgs as string[] };
  });
}
