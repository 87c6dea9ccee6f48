// The discovery/v1 endpoints a Service should have, grouped by the ports they serve, and how to compare them.
import type { coreV1Pod, coreV1Service, discoveryV1 } from "@kubeplane/api";
import { findPort } from "../util/endpoint/named-port.js";
import { isPodReady } from "../util/pod-util.js";
import { endpointHostname, podIpOfFamily, podReference, shouldPodBeInEndpoints } from "../util/endpoint/pod-endpoints.js";

type Pod = coreV1Pod.Pod;
type Service = coreV1Service.Service;
type Endpoint = discoveryV1.Endpoint;
type EndpointPort = discoveryV1.EndpointPort;

/** Endpoints serving the same ports: they may share slices (Kubernetes' endpointMeta). */
export interface EndpointGroup {
  ports: EndpointPort[];
  /** By endpointKey, in a stable order. */
  endpoints: Map<string, Endpoint>;
}

/** Identifies an endpoint across versions: its addresses and the pod it stands for. */
export function endpointKey(e: Endpoint): string {
  return `${[...e.addresses].sort().join(",")}/${e.targetRef?.namespace ?? ""}/${e.targetRef?.name ?? ""}`;
}

/** Everything an endpoint says, normalised, so a stored endpoint equals the one it was written from. */
export function endpointFingerprint(e: Endpoint): string {
  const c = e.conditions;
  const ref = e.targetRef;
  return JSON.stringify([
    [...e.addresses].sort(),
    [c?.ready ?? null, c?.serving ?? null, c?.terminating ?? null],
    e.hostname ?? "",
    e.nodeName ?? "",
    e.zone ?? "",
    [ref?.kind ?? "", ref?.namespace ?? "", ref?.name ?? "", ref?.uid ?? ""],
  ]);
}

/** A port set, normalised and order-free: the key of an EndpointGroup. */
export function portsFingerprint(ports: readonly EndpointPort[]): string {
  return JSON.stringify(ports.map((p) => JSON.stringify([p.name ?? "", p.port ?? 0, p.protocol ?? "TCP", p.appProtocol ?? ""])).sort());
}

function endpointPorts(pod: Pod, svc: Service): EndpointPort[] {
  return (svc.spec?.ports ?? []).flatMap((sp): EndpointPort[] => {
    const port = findPort(pod, sp);
    return port === undefined ? [] : [{ name: sp.name, port, protocol: sp.protocol || "TCP", ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) }];
  });
}

/**
 * One pod's endpoint (podToEndpoint): ready when Ready and not terminating (or always, with
 * publishNotReadyAddresses), serving when Ready, terminating when being deleted.
 */
export function podEndpoint(pod: Pod, svc: Service, ip: string, zone: string | undefined): Endpoint {
  const publishNotReady = svc.spec?.publishNotReadyAddresses ?? false;
  const serving = isPodReady(pod);
  const terminating = Boolean(pod.metadata?.deletionTimestamp);
  const ready = publishNotReady || (serving && !terminating);
  const hostname = endpointHostname(pod, svc);
  const nodeName = pod.spec?.nodeName ?? "";
  return {
    addresses: [ip],
    conditions: { ready, serving, terminating },
    ...(hostname ? { hostname } : {}),
    targetRef: podReference(pod),
    ...(nodeName ? { nodeName } : {}),
    ...(zone ? { zone } : {}),
    deprecatedTopology: {},
  };
}

/**
 * Every endpoint of one address type the Service should have, grouped by the ports each pod
 * resolves. Terminating pods are included (with terminating=true); pods without an address of
 * `addressType` or finished are not. `zoneOf` gives a node's topology.kubernetes.io/zone, if known.
 */
export function desiredEndpointGroups(svc: Service, pods: readonly Pod[], zoneOf: (node: string) => string | undefined, addressType: "IPv4" | "IPv6" = "IPv4"): Map<string, EndpointGroup> {
  const groups = new Map<string, EndpointGroup>();
  const sorted = [...pods].sort((a, b) => (a.metadata!.name < b.metadata!.name ? -1 : a.metadata!.name > b.metadata!.name ? 1 : 0));
  for (const pod of sorted) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ip = podIpOfFamily(pod, addressType);
    if (!ip) continue;
    const ports = endpointPorts(pod, svc);
    const key = portsFingerprint(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, endpoints: new Map() }));
    const node = pod.spec?.nodeName ?? "";
    const endpoint = podEndpoint(pod, svc, ip, node ? zoneOf(node) : undefined);
    group.endpoints.set(endpointKey(endpoint), endpoint);
  }
  return groups;
}
