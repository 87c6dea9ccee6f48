// The proxy model: each Service port with the addresses it is reached on and the endpoints it forwards to.
import { isIPv4, isIPv6 } from "node:net";
import type { coreV1Service, discoveryV1 } from "@kubeplane/api";
import { servingEndpoints, type ProxyEndpoint } from "./endpoints.js";

export type Service = coreV1Service.Service;
export type EndpointSlice = discoveryV1.EndpointSlice;

/** The label that ties an EndpointSlice to its Service. */
export const serviceNameLabel = "kubernetes.io/service-name";

/** The default ClientIP affinity timeout, as Kubernetes defaults it (3 hours). */
export const defaultAffinitySeconds = 10_800;

/** nft's spelling of a Service port protocol. */
export type L4Protocol = "tcp" | "udp" | "sctp";

/** One port of one Service, everything kube-proxy needs to program it. */
export interface ServicePortInfo {
  /** "<namespace>/<name>/<protocol>/<port name>" (the port name, or "p<port>" when unnamed). */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly protocol: L4Protocol;
  readonly clusterIp: string;
  readonly port: number;
  /** 0 when the Service has no NodePort. */
  readonly nodePort: number;
  /** LoadBalancer ingress IPs and spec.externalIPs: treated like the ClusterIP, but as external traffic. */
  readonly externalIps: readonly string[];
  /** ClientIP affinity timeout in seconds; 0 when sessionAffinity is None. */
  readonly affinitySeconds: number;
  /** Sorted by address then port; empty when nothing serves (traffic is then rejected). */
  readonly endpoints: readonly ProxyEndpoint[];
  /** The endpoints whose EndpointSlice `nodeName` is this node (sorted; its terminating fallback is decided among them alone). */
  readonly localEndpoints: readonly ProxyEndpoint[];
  /** externalTrafficPolicy Local: NodePort and external IP traffic goes only to local endpoints, not masqueraded. */
  readonly externalLocal: boolean;
  /** internalTrafficPolicy Local: ClusterIP traffic goes only to local endpoints. */
  readonly internalLocal: boolean;
  /** spec.healthCheckNodePort (LoadBalancer with externalTrafficPolicy Local), else 0. */
  readonly healthCheckNodePort: number;
}

/** An IP family, as in Service.spec.ipFamilies and EndpointSlice.addressType. */
export type IpFamily = "IPv4" | "IPv6";

const ofFamily = (family: IpFamily): ((ip: string) => boolean) => (family === "IPv4" ? isIPv4 : isIPv6);

function protocolOf(raw: string | undefined): L4Protocol | undefined {
  const p = (raw || "TCP").toLowerCase();
  return p === "tcp" || p === "udp" || p === "sctp" ? p : undefined;
}

/** The Service's ClusterIP of `family` (from clusterIPs, or clusterIP), or undefined: headless, ExternalName, or not of that family. */
function clusterIpOf(svc: Service, family: IpFamily): string | undefined {
  const spec = svc.spec;
  if (!spec || spec.type === "ExternalName") return undefined;
  const ips = spec.clusterIps.length ? spec.clusterIps : [spec.clusterIp];
  return ips.find(ofFamily(family));
}

/**
 * Builds the ports of every proxied Service. `slicesOf` returns the EndpointSlices labelled with
 * the Service's name in its namespace; `nodeName` is this node's name, which decides which
 * endpoints are local (EndpointSlice `nodeName`). One family at a time (IPv4 unless told): a
 * Service is in it when it has a ClusterIP of that family (a dual-stack Service is in both), with
 * the external IPs and the EndpointSlices of that family. Pure: the same inputs give the same (sorted) output.
 */
export function buildServicePorts(services: Iterable<Service>, slicesOf: (namespace: string, name: string) => readonly EndpointSlice[], nodeName = "", family: IpFamily = "IPv4"): ServicePortInfo[] {
  const out: ServicePortInfo[] = [];
  const inFamily = ofFamily(family);
  for (const svc of services) {
    const clusterIp = clusterIpOf(svc, family);
    if (!clusterIp) continue;
    const spec = svc.spec!;
    const namespace = svc.metadata?.namespace ?? "default";
    const name = svc.metadata?.name ?? "";
    const slices = slicesOf(namespace, name);
    const external = new Set<string>([...spec.externalIps, ...(svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip)].filter((ip) => inFamily(ip)));
    const hasNodePorts = spec.type === "NodePort" || spec.type === "LoadBalancer";
    // As upstream: the external policy applies only to Services reachable from outside.
    const externalLocal = spec.externalTrafficPolicy === "Local" && (hasNodePorts || external.size > 0);
    const internalLocal = spec.internalTrafficPolicy === "Local";
    const affinitySeconds = spec.sessionAffinity === "ClientIP" ? spec.sessionAffinityConfig?.clientIp?.timeoutSeconds || defaultAffinitySeconds : 0;
    for (const port of spec.ports) {
      const protocol = protocolOf(port.protocol);
      if (!protocol || !port.port) continue;
      out.push({
        id: `${namespace}/${name}/${protocol}/${port.name || `p${port.port}`}`,
        namespace,
        name,
        protocol,
        clusterIp,
        port: port.port,
        nodePort: hasNodePorts ? port.nodePort : 0,
        externalIps: [...external].sort(),
        affinitySeconds,
        endpoints: servingEndpoints(slices, port.name, protocol, undefined, family),
        localEndpoints: nodeName ? servingEndpoints(slices, port.name, protocol, nodeName, family) : [],
        externalLocal,
        internalLocal,
        healthCheckNodePort: externalLocal && spec.type === "LoadBalancer" ? spec.healthCheckNodePort : 0,
      });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
