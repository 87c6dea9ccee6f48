// A pod's resolver configuration (the CRI sandbox's DnsConfig) from its dnsPolicy and dnsConfig.

import type { coreV1Pod } from "@kubeplane/api";
import type { DnsConfig } from "../runtime/types.js";
import { mergeOptions, parseResolvConf } from "./resolv-conf.js";

/** The resolver limits the kubelet enforces (glibc reads at most 3 nameservers). */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;
const MAX_SEARCH_CHARS = 2048;

/** Node-level DNS settings (the kubelet's --cluster-dns, --cluster-domain and the host's resolv.conf). */
export interface PodDnsOptions {
  /** The cluster DNS service IPs; empty means none, and ClusterFirst falls back to Default. */
  clusterDns: string[];
  clusterDomain: string;
  /** The text (not the path) of the host's resolv.conf; undefined: the kubelet's --resolv-conf="". */
  hostResolvConf?: string;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function policyOf(pod: coreV1Pod.Pod): "cluster" | "host" | "none" {
  const spec = pod.spec;
  switch (spec?.dnsPolicy || "ClusterFirst") {
    case "None":
      return "none";
    case "ClusterFirstWithHostNet":
      return "cluster";
    case "ClusterFirst":
      return spec?.hostNetwork ? "host" : "cluster";
    default:
      return "host";
  }
}

/**
 * The pod's DnsConfig, as the kubelet's GetPodDNS: ClusterFirst (default; Default for hostNetwork pods)
 * and ClusterFirstWithHostNet use the cluster DNS with searches `<ns>.svc.<domain> svc.<domain> <domain>`
 * then the host's, and `ndots:5`; Default uses the host's resolv.conf (or 127.0.0.1 with search "." when
 * there is none); None starts empty. pod.spec.dnsConfig is then appended (servers and searches deduplicated,
 * options merged by name) and the result trimmed to the resolver's limits. Returns undefined when the result
 * is empty (the runtime then keeps its default).
 */
export function podDnsConfig(pod: coreV1Pod.Pod, opts: PodDnsOptions): DnsConfig | undefined {
  const host = parseResolvConf(opts.hostResolvConf ?? "");
  let config: DnsConfig = { servers: [], searches: [], options: [] };
  let policy = policyOf(pod);
  if (policy === "cluster" && opts.clusterDns.length === 0) policy = "host";
  if (policy === "cluster") {
    const domain = opts.clusterDomain;
    const ns = pod.metadata?.namespace ?? "";
    const clusterSearches = domain ? [`${ns}.svc.${domain}`, `svc.${domain}`, domain] : [];
    config = { servers: [...opts.clusterDns], searches: unique([...clusterSearches, ...host.searches]), options: ["ndots:5"] };
  } else if (policy === "host") {
    config = opts.hostResolvConf === undefined ? { servers: ["127.0.0.1"], searches: ["."], options: [] } : host;
  }
  const extra = pod.spec?.dnsConfig;
  if (extra) {
    config = {
      servers: unique([...config.servers, ...extra.nameservers]),
      searches: unique([...config.searches, ...extra.searches]),
      options: mergeOptions(
        config.options,
        extra.options.map((o) => (o.value !== undefined && o.value !== "" ? `${o.name}:${o.value}` : o.name)),
      ),
    };
  }
  const fitted = fitLimits(config);
  if (fitted.servers.length + fitted.searches.length + fitted.options.length === 0) return undefined;
  return fitted;
}

function fitLimits(config: DnsConfig): DnsConfig {
  const searches: string[] = [];
  let chars = 0;
  for (const search of config.searches.slice(0, MAX_SEARCHES)) {
    chars += search.length + (searches.length > 0 ? 1 : 0);
    if (chars > MAX_SEARCH_CHARS) break;
    searches.push(search);
  }
  return { servers: config.servers.slice(0, MAX_NAMESERVERS), searches, options: config.options };
}
