// The kube-proxy's configuration: where the apiserver is, which namespace's nftables to program, how often.
import { clusterClientConfig, defineConfig, serviceConfig, type ConfigOf } from "@kubeplane/service-kit";

const cidrPattern = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
const validCidr = (value: string): string | undefined => (value === "" || cidrPattern.test(value) ? undefined : "must be an IPv4 CIDR such as 10.244.0.0/16");

export const kubeProxyConfig = defineConfig({
  ...serviceConfig({ grpc: "127.0.0.1:10249", http: "127.0.0.1:10256" }),
  ...clusterClientConfig(),
  netns: { type: "string", default: "", description: "Named network namespace to program (`ip netns exec NAME nft …`); empty: kube-proxy's own" },
  nodeportAddresses: { type: "list", default: [], description: "IPv4 CIDRs whose local addresses accept NodePorts; empty: every local address but 127.0.0.0/8" },
  clusterCidr: { type: "string", default: "", validate: validCidr, description: "Pod CIDR; traffic to a ClusterIP from outside it is masqueraded (empty: only hairpin and external traffic)" },
  masqueradeBit: { type: "int", default: 14, min: 0, max: 31, description: "Bit of the packet mark that flags packets for masquerading (0x4000)" },
  minSyncPeriod: { type: "duration", default: "1s", description: "Least time between two syncs: changes arriving faster are coalesced into one transaction" },
  syncPeriod: { type: "duration", default: "1h", description: "Period of the full resync, which rewrites every kube-proxy chain and map in place (one transaction)" },
  hostnameOverride: { type: "string", default: "", description: "This node's name, matched against EndpointSlice endpoints' nodeName for traffic policy Local; empty: the hostname" },
  healthCheckBindAddress: { type: "string", default: "0.0.0.0", description: "Address the health-check node ports of externalTrafficPolicy Local Services listen on (kube-proxy's own network namespace)" },
  cleanup: { type: "bool", default: false, description: "Delete kube-proxy's nftables table and exit" },
});

export type KubeProxyConfig = ConfigOf<typeof kubeProxyConfig>;
