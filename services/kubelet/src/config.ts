// The kubelet's configuration: apiserver and NATS, the node's identity, the container runtime,
// where pod state and logs live, cluster DNS, and the timings of the node and pod loops.
import { clusterClientConfig, defineConfig, serviceConfig, type ConfigOf } from "@kubeplane/service-kit";

export const kubeletConfig = defineConfig({
  ...serviceConfig({ grpc: "0.0.0.0:10250", http: "127.0.0.1:10248" }),
  ...clusterClientConfig(),
  nodeName: { type: "string", description: "This node's name; unset: the hostname" },
  nodeIp: { type: "string", description: "The node's InternalIP; unset: the first non-loopback IPv4 address" },
  nodeLabels: { type: "list", description: "Labels to register the node with (key=value)" },
  registerWithTaints: { type: "list", description: "Taints to register the node with (key=value:Effect)" },
  cloudProvider: { type: "string", default: "", description: 'Set to "external" when a cloud-controller-manager initialises nodes: the Node is created with the node.cloudprovider.kubernetes.io/uninitialized=true:NoSchedule taint it removes' },
  maxPods: { type: "int", default: 110, min: 1, max: 10000, description: "Pods this node accepts (capacity.pods)" },
  rootDir: { type: "string", default: "/var/lib/kubeplane/kubelet", description: "Where pod volumes and the kubelet's state live" },
  podLogDir: { type: "string", default: "/var/log/pods", description: "Where container logs go (<ns>_<pod>_<uid>/<container>/<n>.log)" },
  cgroupRoot: { type: "string", default: "/kubepods", description: "Parent cgroup of every pod's cgroup (cgroupfs driver)" },
  containerRuntimeEndpoint: { type: "string", default: "unix:///run/containerd/containerd.sock", description: "The CRI runtime's gRPC socket" },
  runtimeRequestTimeout: { type: "duration", default: "2m", description: "Deadline of one CRI call (image pulls included)" },
  cniConfDir: { type: "string", description: "Where to write the CNI config for this node's podCIDR (the runtime's CNI conf dir); unset: leave CNI to the runtime" },
  cniBridge: { type: "string", default: "kp0", description: "The Linux bridge the CNI config attaches pods to (one per node when several share a host)" },
  cniDataDir: { type: "string", description: "host-local IPAM state directory; unset: <rootDir>/cni" },
  podCidr: { type: "string", description: "Pod CIDR to use when the Node has no spec.podCIDR yet" },
  clusterDns: { type: "list", description: "DNS server IPs written into pods' resolv.conf (dnsPolicy ClusterFirst)" },
  clusterDomain: { type: "string", default: "cluster.local", description: "The cluster's DNS domain" },
  nodeStatusUpdateFrequency: { type: "duration", default: "10s", description: "How often the node status is computed (written when changed, or every minute)" },
  nodeLeaseRenewInterval: { type: "duration", default: "10s", description: "How often the node's Lease in kube-node-lease is renewed" },
  podWorkers: { type: "int", default: 8, min: 1, max: 1000, description: "Pods synced at once (each pod's passes stay serial)" },
  syncFrequency: { type: "duration", default: "10s", description: "How often every pod is synced even without a change" },
  crashLoopBackoffInitial: { type: "duration", default: "10s", description: "First restart back-off of a failed container (doubling to the maximum)" },
  crashLoopBackoffMax: { type: "duration", default: "5m", description: "Longest restart back-off" },
  imagePullBackoffInitial: { type: "duration", default: "10s", description: "First back-off after a failed image pull (doubling to the maximum)" },
  imagePullBackoffMax: { type: "duration", default: "5m", description: "Longest image pull back-off" },
  simulate: { type: "int", default: 0, min: 0, max: 100000, description: "SCALE TESTS ONLY: register this many simulated nodes whose pods are reported Running without running anything" },
  simulatePrefix: { type: "string", default: "sim-node", description: "Name prefix of the simulated nodes" },
});

export type KubeletConfig = ConfigOf<typeof kubeletConfig>;
