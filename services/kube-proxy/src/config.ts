// The kube-proxy's configuration: where the apiserver is, which namespace's nftables to program, how often.
import { clusterClientConfig, defineConfig, serviceConfig, type ConfigOf } from "@kubeplane/service-kit";

import { isIP } from "node:net";

/** "a.b.c.d/n" or an IPv6 "x::/n" with a prefix length that fits the family. */
const isCidr = (text: string): boolean => {
  const [ip = "", bits = "", extra] = text.split("/");
  const family = isIP(ip);
  return extra === undefined && family !== 0 && /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
};
const validClusterCidr = (value: string): string | undefined => {
  const cidrs = value.split(",").filter(Boolean);
  if (cidrs.length > 2 || !cidrs.every(isCidr) || (cidrs.length === 2 && cidrs[0]!.includes(":") === cidrs[1]!.includes(":"))) {
    return "must be a CIDR such as 10.244.0.0/16, or an IPv4 and an IPv6 CIDR separated by a comma (dual stack)";
  }
  return undefined;
};

export const kubeProxyConfig = defineConfig({
  ...serviceConfig({ grpc: "127.0.0.1:10249", http: "127.0.0.1:10256" }),
  ...clusterClientConfig(),
  netns: { type: "string", default: "", description: "Named network namespace to program (`ip netns exec NAME nft …`); empty: kube-proxy's own" },
  nodeportAddresses: { type: "list", default: [], description: "CIDRs (IPv4, and IPv6 for the ip6 table) whose local addresses accept NodePorts; empty: every local address but loopback" },
  clusterCidr: { type: "string", default: "", validate: validClusterCidr, description: "Pod CIDR; traffic to a ClusterIP from outside it is masqueraded (empty: only hairpin and external traffic). \"v4,v6\" (dual stack) also programs IPv6 in an `ip6 kube-proxy` table" },
  masqueradeBit: { type: "int", default: 14, min: 0, max: 31, description: "Bit of the packet mark that flags packets for masquerading (0x4000)" },
  minSyncPeriod: { type: "duration", default: "1s", description: "Least time between two syncs: changes arriving faster are coalesced into one transaction" },
  syncPeriod: { type: "duration", default: "1h", description: "Period of the full resync, which rewrites every kube-proxy chain and map in place (one transaction)" },
  hostnameOverride: { type: "string", default: "", description: "This node's name, matched against EndpointSlice endpoints' nodeName for traffic policy Local; empty: the hostname" },
  healthCheckBindAddress: { type: "string", default: "0.0.0.0", description: "Address the health-check node ports of externalTrafficPolicy Local Services listen on (kube-proxy's own network namespace)" },
  networkPolicy: { type: "bool", default: true, description: "Enforce NetworkPolicies in the nftables table `inet kubeplane-netpol` (false: remove that table)" },
  networkPolicyNodes: { type: "list", default: [], description: "Nodes whose pods this kube-proxy enforces NetworkPolicy for; empty: its own node, `*`: every pod" },
  cleanup: { type: "bool", default: false, description: "Delete kube-proxy's nftables tables (services and network policy) and exit" },
});

export type KubeProxyConfig = ConfigOf<typeof kubeProxyConfig>;
