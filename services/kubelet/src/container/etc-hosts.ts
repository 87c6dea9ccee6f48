// The pod's kubelet-managed /etc/hosts file (the kubelet's managedHostsFileContent), bind-mounted into containers.

import { readFile } from "node:fs/promises";
import type { coreV1Pod } from "@kubeplane/api";
import { join } from "node:path";
import { podDir } from "../paths.js";
import { writeFileAtomic } from "./atomic-file.js";

/** What the managed hosts file lists. */
export interface EtcHostsOptions {
  podIps: string[];
  hostname: string;
  /** With a subdomain the pod IPs map to `hostname.subdomain.namespace.svc.clusterDomain` too. */
  subdomain?: string;
  namespace: string;
  clusterDomain: string;
  hostAliases?: coreV1Pod.HostAlias[];
}

/** Where the kubelet keeps a pod's hosts file: <rootDir>/pods/<uid>/etc-hosts. */
export function etcHostsPath(rootDir: string, uid: string): string {
  return join(podDir(rootDir, uid), "etc-hosts");
}

/** The managed hosts file's content, byte for byte as the kubelet writes it. */
export function etcHostsContent(opts: EtcHostsOptions): string {
  const lines = [
    "# Kubernetes-managed hosts file.",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "fe00::0\tip6-mcastprefix",
    "fe00::1\tip6-allnodes",
    "fe00::2\tip6-allrouters",
  ];
  const domain = opts.subdomain ? `${opts.subdomain}.${opts.namespace}.svc.${opts.clusterDomain}` : "";
  for (const ip of opts.podIps) {
    lines.push(domain ? `${ip}\t${opts.hostname}.${domain}\t${opts.hostname}` : `${ip}\t${opts.hostname}`);
  }
  const aliases = opts.hostAliases ?? [];
  if (aliases.length > 0) {
    lines.push("", "# Entries added by HostAliases.");
    for (const alias of aliases) lines.push(`${alias.ip}\t${alias.hostnames.join("\t")}`);
  }
  return lines.join("\n") + "\n";
}

/** Writes the managed hosts file to path atomically (temp file + rename, mode 0644); the directory must exist. */
export async function writeEtcHosts(path: string, opts: EtcHostsOptions): Promise<void> {
  const content = etcHostsContent(opts);
  // Unchanged content is not rewritten: running containers bind-mount the file's inode.
  if ((await readFile(path, "utf8").catch(() => undefined)) === content) return;
  await writeFileAtomic(path, content);
}
