// Builders of Services and EndpointSlices for the dns unit tests, and a query encoder/decoder pair.
import dnsPacket from "dns-packet";
import { coreV1Service, discoveryV1 } from "@kubeplane/api";
import { SERVICE_NAME_LABEL } from "./record-index.js";

/** A ClusterIP Service (or headless with clusterIP "None", ExternalName with `externalName`). */
export function service(
  namespace: string,
  name: string,
  spec: { clusterIp?: string; clusterIps?: string[]; type?: string; externalName?: string; ports?: { name?: string; port: number; protocol?: string }[]; publishNotReadyAddresses?: boolean },
): coreV1Service.Service {
  return coreV1Service.Service.fromPartial({
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace, name },
    spec: {
      type: spec.type ?? "ClusterIP",
      clusterIp: spec.clusterIp ?? "",
      clusterIps: spec.clusterIps ?? (spec.clusterIp ? [spec.clusterIp] : []),
      externalName: spec.externalName ?? "",
      publishNotReadyAddresses: spec.publishNotReadyAddresses ?? false,
      ports: (spec.ports ?? []).map((p) => ({ name: p.name ?? "", port: p.port, protocol: p.protocol ?? "TCP", targetPort: String(p.port) })),
    },
  });
}

/** An endpoint of a slice: addresses, optional hostname, ready unless `ready: false`. */
export interface EndpointShape {
  addresses: string[];
  hostname?: string;
  ready?: boolean;
}

/** An EndpointSlice of Service `svc`, labelled with kubernetes.io/service-name. */
export function endpointSlice(
  namespace: string,
  name: string,
  svc: string,
  endpoints: EndpointShape[],
  ports: { name?: string; port: number; protocol?: string }[] = [],
  addressType = "IPv4",
): discoveryV1.EndpointSlice {
  return discoveryV1.EndpointSlice.fromPartial({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { namespace, name, labels: { [SERVICE_NAME_LABEL]: svc } },
    addressType,
    endpoints: endpoints.map((e) => ({
      addresses: e.addresses,
      ...(e.hostname ? { hostname: e.hostname } : {}),
      conditions: { ready: e.ready ?? true },
    })),
    ports: ports.map((p) => ({ name: p.name ?? "", port: p.port, protocol: p.protocol ?? "TCP" })),
  });
}

/** A query for `name`/`type`, with an OPT record advertising `udpSize` when given. */
export function queryBytes(name: string, type: dnsPacket.RecordType, opts: { id?: number; udpSize?: number } = {}): Buffer {
  return dnsPacket.encode({
    type: "query",
    id: opts.id ?? 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: "IN" }],
    ...(opts.udpSize ? { additionals: [{ type: "OPT", name: ".", udpPayloadSize: opts.udpSize, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] } : {}),
  });
}
