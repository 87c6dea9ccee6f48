// The cloud-controller-manager's configuration: apiserver and NATS, controllers, leader election, provider, pod CIDRs, local-path root.
import { clusterClientConfig, defineConfig, serviceConfig, type ConfigOf } from "@kubeplane/service-kit";
import { clusterCidrProblem } from "./controllers/cidr-set.js";

/** One CIDR, or an IPv4 and an IPv6 one (dual stack, IPv4 first as node-ipam writes podCIDRs). */
const cidrProblem = (value: string): string | undefined => {
  const cidrs = value.split(",");
  const bad = cidrs.map(clusterCidrProblem).find(Boolean);
  if (bad) return bad;
  if (cidrs.length > 2 || (cidrs.length === 2 && (cidrs[0]!.includes(":") || !cidrs[1]!.includes(":")))) return "must be one CIDR, or an IPv4 and an IPv6 CIDR separated by a comma";
  return undefined;
};

export const cloudControllerManagerConfig = defineConfig({
  ...serviceConfig({ grpc: "127.0.0.1:10258", http: "127.0.0.1:10263" }),
  ...clusterClientConfig(),
  controllers: {
    type: "list",
    default: ["*"],
    description: "Controllers to run: * for all, name to add one, -name to leave one out (cloud-node, service, node-ipam, route, volume)",
  },
  leaderElect: { type: "bool", default: true, description: "Run only while holding the kube-system/cloud-controller-manager Lease" },
  leaseDuration: { type: "duration", default: "15s", description: "How long a leader's lease stays valid after a renewal" },
  renewDeadline: { type: "duration", default: "10s", description: "A leader that cannot renew for this long steps down" },
  retryPeriod: { type: "duration", default: "2s", description: "How often to try to acquire or renew the lease" },
  identity: { type: "string", description: "This replica's name in leader election; unset: hostname-pid" },
  cloudProvider: { type: "string", default: "bare-metal", description: "The cloud provider's name (registered providers: bare-metal)" },
  cloudConfig: { type: "string", description: "Path of the provider's YAML configuration file (bare-metal: inventory file and load-balancer pools)" },
  clusterCidr: { type: "string", default: "10.244.0.0/16", validate: cidrProblem, description: "The CIDR pod CIDRs are carved from; \"IPv4CIDR,IPv6CIDR\" gives each Node one of each (dual stack)" },
  nodeCidrMaskSize: { type: "int", default: 24, min: 8, max: 30, description: "The prefix length of each node's IPv4 pod CIDR" },
  nodeCidrMaskSizeIpv6: { type: "int", default: 64, min: 8, max: 126, description: "The prefix length of each node's IPv6 pod CIDR (dual stack)" },
  localPathRoot: { type: "string", default: "/var/lib/kubeplane/local-path", description: "Directory under which local-path volumes are created on each node" },
  localNodeName: { type: "string", description: "The Node this process runs on: local-path directories of that node are created and removed here; unset: the host name" },
  nodeMonitorPeriod: { type: "duration", default: "10s", description: "How often each Node is checked against the provider (machine gone, shut down)" },
  routeReconcilePeriod: { type: "duration", default: "30s", description: "How often routes are compared with the provider's even without a change" },
});

export type CloudControllerManagerConfig = ConfigOf<typeof cloudControllerManagerConfig>;
