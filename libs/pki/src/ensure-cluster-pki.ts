// Brings a PKI directory to the cluster's default certificate set, re-issuing only what is stale.
import { resolve } from "node:path";
import { canonicalIp } from "./certificate-info.js";
import { clusterCertSpecs, type ClusterTopology } from "./cluster-specs.js";
import { ensurePrivateDir, withDirLock } from "./files.js";
import { initPkiLocked, type InitPkiOptions, type Pki } from "./pki.js";
import type { CertInfo, CertSpec } from "./types.js";

/** Options of `ensureClusterPki`. */
export interface EnsureClusterPkiOptions extends InitPkiOptions {
  /** Re-issue a certificate expiring within this many days; default 30 (kubeadm renews at upgrade likewise). */
  renewWithinDays?: number;
}

/** Why a certificate was (re-)issued. */
export type IssueReason = "missing" | "expiring" | "subject-changed" | "sans-changed" | "usages-changed" | "issuer-changed" | "key-mismatch";

/** What `ensureClusterPki` did. */
export interface EnsureClusterPkiResult {
  pki: Pki;
  /** CA and ServiceAccount files created now (`ca`, `etcd-ca`, `sa`). */
  createdCas: string[];
  /** Leaves issued now and why. */
  issued: Array<{ name: string; reason: IssueReason }>;
  /** Leaves (and CAs) that were already right. */
  kept: string[];
}

/**
 * `initPki`, then issues every spec of `clusterCertSpecs(topology)` whose files are missing or
 * stale: expiring within `renewWithinDays`, or whose subject, SANs, usages, issuer or key no
 * longer fit. Idempotent, and serialised across processes by the directory lock, so concurrent
 * test processes share one directory safely. Certificates outside the default set are left alone.
 */
export async function ensureClusterPki(
  dir: string,
  topology: ClusterTopology,
  opts: EnsureClusterPkiOptions = {},
): Promise<EnsureClusterPkiResult> {
  const abs = resolve(dir);
  await ensurePrivateDir(abs);
  return await withDirLock(abs, async () => {
    const init = await initPkiLocked(abs, opts);
    const pki = init.pki;
    const renewBefore = Date.now() + (opts.renewWithinDays ?? 30) * 24 * 60 * 60 * 1000;
    const specs = clusterCertSpecs(topology);
    const decisions = await Promise.all(
      specs.map(async (spec) => ({ spec, reason: await staleReason(pki, spec, renewBefore) })),
    );
    const issued: EnsureClusterPkiResult["issued"] = [];
    const kept = [...init.kept];
    await Promise.all(
      decisions.map(async ({ spec, reason }) => {
        if (reason === undefined) {
          kept.push(spec.name);
          return;
        }
        await pki.issue(spec);
        issued.push({ name: spec.name, reason });
      }),
    );
    issued.sort((a, b) => a.name.localeCompare(b.name));
    return { pki, createdCas: init.created, issued, kept: kept.sort() };
  });
}

/** Why the certificate of `spec` must be issued again, or undefined when it is fine as it is. */
export async function staleReason(pki: Pki, spec: CertSpec, renewBefore: number): Promise<IssueReason | undefined> {
  let current: CertInfo;
  try {
    current = await pki.read(spec.name);
  } catch {
    return "missing";
  }
  if (current.issuer !== (spec.ca ?? "cluster")) return "issuer-changed";
  if (current.notAfter.getTime() <= renewBefore) return "expiring";
  if (current.commonName !== spec.commonName || !sameSet(current.organizations, spec.organizations ?? [])) {
    return "subject-changed";
  }
  if (
    !sameSet(current.dnsNames, spec.dnsNames ?? []) ||
    !sameSet(current.ipAddresses, (spec.ipAddresses ?? []).map(canonicalIp))
  ) {
    return "sans-changed";
  }
  if (!sameSet(current.usages, spec.usages)) return "usages-changed";
  if (!(await pki.keyMatches(spec.name))) return "key-mismatch";
  return undefined;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((v) => sb.has(v));
}
