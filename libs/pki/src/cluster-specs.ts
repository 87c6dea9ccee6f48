// The default certificate set of a cluster: one certificate per component identity and per node.
import { isIP } from "node:net";
import type { CertSpec } from "./types.js";

/** A machine (node or etcd member): its name and its addresses (IPs or DNS names). */
export interface MachineAddresses {
  name: string;
  addresses: string[];
}

/** Extra subject alternative names for a serving certificate. */
export interface SanList {
  dnsNames?: string[];
  ipAddresses?: string[];
}

/** What the cluster's certificates must name: its nodes, etcd members and public endpoints. */
export interface ClusterTopology {
  nodes: MachineAddresses[];
  etcdMembers: MachineAddresses[];
  /** Added to the apiserver's in-cluster names (kubernetes.default.svc…, localhost, 127.0.0.1). */
  apiserverSans: SanList;
  /** Added to the NATS certificate's localhost / 127.0.0.1. */
  natsSans?: SanList;
  /**
   * Added to the components' certificates (scheduler, controller-manager, kube-proxy, dns, nats-authorizer, …):
   * the machine addresses they serve gRPC and /metrics on, so health checks and Prometheus can verify them.
   */
  componentSans?: SanList;
}

const loopback: Required<SanList> = { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"] };

/**
 * Components that serve gRPC or metrics and call the apiserver: certificate name → CN (and O).
 * The names are a contract with the services' configuration and libs/testing.
 */
const componentIdentities: ReadonlyArray<{ name: string; commonName: string; organizations?: string[] }> = [
  { name: "scheduler", commonName: "system:kube-scheduler" },
  { name: "controller-manager", commonName: "system:kube-controller-manager" },
  { name: "cloud-controller-manager", commonName: "system:cloud-controller-manager" },
  { name: "kube-proxy", commonName: "system:kube-proxy" },
  { name: "dns", commonName: "system:kubeplane:dns" },
  { name: "ingress-controller", commonName: "system:kubeplane:ingress-controller" },
  // Reads Nodes to keep nats-server's node users in step (services/nats-authorizer); no NATS user of its own.
  { name: "nats-authorizer", commonName: "system:kubeplane:nats-authorizer" },
  { name: "prometheus", commonName: "system:kubeplane:prometheus", organizations: ["system:monitoring"] },
];

/**
 * The certificates every cluster needs, as kubeadm's `certs` phase issues them, plus NATS and our
 * own components: apiserver, apiserver-etcd-client, apiserver-kubelet-client, etcd-<member>,
 * nats, admin, the components above and node-<name> per node. Pure: same topology, same specs.
 */
export function clusterCertSpecs(topology: ClusterTopology): CertSpec[] {
  const specs: CertSpec[] = [
    {
      name: "apiserver",
      commonName: "kube-apiserver",
      usages: ["server"],
      ...withSans(
        {
          dnsNames: ["kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"],
        },
        loopback,
        topology.apiserverSans,
      ),
    },
    { name: "apiserver-etcd-client", ca: "etcd", commonName: "kube-apiserver-etcd-client", usages: ["client"] },
    // The identity NATS lets publish watch events and manage the stream.
    { name: "apiserver-nats-client", commonName: "kube-apiserver-nats-client", usages: ["client"] },
    {
      name: "apiserver-kubelet-client",
      commonName: "kube-apiserver-kubelet-client",
      organizations: ["system:masters"],
      usages: ["client"],
    },
    ...topology.etcdMembers.map(
      (member): CertSpec => ({
        name: `etcd-${member.name}`,
        ca: "etcd",
        commonName: member.name,
        usages: ["server", "client"],
        ...withSans(splitAddresses([member.name, ...member.addresses]), loopback),
      }),
    ),
    { name: "nats", commonName: "nats", usages: ["server", "client"], ...withSans(loopback, topology.natsSans ?? {}) },
    { name: "admin", commonName: "kubernetes-admin", organizations: ["system:masters"], usages: ["client"] },
    ...componentIdentities.map(
      (c): CertSpec => ({
        name: c.name,
        commonName: c.commonName,
        ...(c.organizations ? { organizations: c.organizations } : {}),
        usages: ["server", "client"],
        ...withSans(loopback, topology.componentSans ?? {}),
      }),
    ),
    ...topology.nodes.map(
      (node): CertSpec => ({
        name: `node-${node.name}`,
        commonName: `system:node:${node.name}`,
        organizations: ["system:nodes"],
        usages: ["server", "client"],
        ...withSans(splitAddresses([node.name, ...node.addresses]), loopback),
      }),
    ),
  ];
  return specs;
}

/** Sorts addresses into DNS names and IP addresses. */
export function splitAddresses(addresses: readonly string[]): Required<SanList> {
  return {
    dnsNames: addresses.filter((a) => isIP(a) === 0),
    ipAddresses: addresses.filter((a) => isIP(a) !== 0),
  };
}

function withSans(...lists: SanList[]): Required<SanList> {
  const unique = (values: string[]): string[] => [...new Set(values)];
  return {
    dnsNames: unique(lists.flatMap((l) => l.dnsNames ?? [])),
    ipAddresses: unique(lists.flatMap((l) => l.ipAddresses ?? [])),
  };
}
