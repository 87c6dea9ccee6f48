// The subsets of a Service's core/v1 Endpoints from its pods, grouped like Kubernetes' RepackSubsets.
import type { coreV1Pod, coreV1Service } from "@kubeplane/api";
import { findPort } from "../util/endpoint/named-port.js";
import { isPodReady } from "../util/pod-util.js";
import { endpointHostname, podIPv4, podReference, shouldPodBeInEndpoints } from "../util/endpoint/pod-endpoints.js";

type Pod = coreV1Pod.Pod;
type Service = coreV1Service.Service;
type EndpointAddress = coreV1Service.EndpointAddress;
type EndpointPort = coreV1Service.EndpointPort;
type EndpointSubset = coreV1Service.EndpointSubset;

interface Backend {
  address: EndpointAddress;
  ready: boolean;
}

const addressKey = (a: EndpointAddress): string => `${a.ip}/${a.targetRef?.uid ?? ""}`;
const portKey = (p: EndpointPort): string => JSON.stringify([p.name, p.port, p.protocol || "TCP", p.appProtocol ?? ""]);
const byKey = <T>(key: (x: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/**
 * The subsets the Service's Endpoints should hold (the Endpoints controller's syncService): each
 * included pod's address (ready, or not-ready unless publishNotReadyAddresses) under every service
 * port it resolves; a pod resolving none is left out, except for a headless Service without ports.
 * Addresses offering the same ports share a subset. The result is sorted, so equal inputs give
 * equal output whatever the pods' order.
 */
export function desiredSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const tolerateUnready = svc.spec?.publishNotReadyAddresses ?? false;
  const servicePorts = svc.spec?.ports ?? [];
  const headless = svc.spec?.clusterIp === "None";
  const backends = new Map<string, Backend>();
  // port (or "" for "no ports", the headless sentinel) → the addresses offering it
  const offering = new Map<string, { port: EndpointPort | undefined; addresses: Set<string> }>();
  const offer = (port: EndpointPort | undefined, key: string): void => {
    const k = port ? portKey(port) : "";
    let entry = offering.get(k);
    if (!entry) offering.set(k, (entry = { port, addresses: new Set() }));
    entry.addresses.add(key);
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const ip = podIPv4(pod);
    if (!ip) continue;
    const ports = servicePorts.flatMap((sp): EndpointPort[] => {
      const port = findPort(pod, sp);
      return port === undefined ? [] : [{ name: sp.name, port, protocol: sp.protocol || "TCP", ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) }];
    });
    if (ports.length === 0 && !(servicePorts.length === 0 && headless)) continue;
    const nodeName = pod.spec?.nodeName ?? "";
    const address: EndpointAddress = { ip, hostname: endpointHostname(pod, svc) ?? "", ...(nodeName ? { nodeName } : {}), targetRef: podReference(pod) };
    const key = addressKey(address);
    backends.set(key, { address, ready: tolerateUnready || isPodReady(pod) });
    if (ports.length === 0) offer(undefined, key);
    for (const port of ports) offer(port, key);
  }
  // Ports offered by exactly the same addresses form one subset.
  const groups = new Map<string, { addresses: string[]; ports: EndpointPort[] }>();
  for (const { port, addresses } of offering.values()) {
    const sorted = [...addresses].sort();
    const k = sorted.join(",");
    let group = groups.get(k);
    if (!group) groups.set(k, (group = { addresses: sorted, ports: [] }));
    if (port) group.ports.push(port);
  }
  return [...groups.entries()]
    .sort(byKey(([k]) => k))
    .map(([, group]) => {
      const members = group.addresses.map((k) => backends.get(k)!);
      const sortAddresses = (list: EndpointAddress[]): EndpointAddress[] => list.sort(byKey(addressKey));
      return {
        addresses: sortAddresses(members.filter((b) => b.ready).map((b) => b.address)),
        notReadyAddresses: sortAddresses(members.filter((b) => !b.ready).map((b) => b.address)),
        ports: group.ports.sort(byKey(portKey)),
      };
    });
}

function subsetFingerprint(s: EndpointSubset): unknown {
  const address = (a: EndpointAddress): unknown => [a.ip, a.hostname, a.nodeName ?? "", a.targetRef?.kind ?? "", a.targetRef?.namespace ?? "", a.targetRef?.name ?? "", a.targetRef?.uid ?? ""];
  return [s.addresses.map(address), s.notReadyAddresses.map(address), s.ports.map(portKey)];
}

/** Whether two subset lists say the same thing (in the same order), whatever defaults the apiserver filled. */
export function subsetsEqual(a: readonly EndpointSubset[], b: readonly EndpointSubset[]): boolean {
  return JSON.stringify(a.map(subsetFingerprint)) === JSON.stringify(b.map(subsetFingerprint));
}
