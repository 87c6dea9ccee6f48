// Which pods back a Service and how (endpointsliceutil): inclusion, readiness, address, hostname.
import { isIPv4, isIPv6 } from "node:net";
import type { coreV1Pod, coreV1Service } from "@kubeplane/api";
import { isPodReady } from "../pod-util.js";

type Pod = coreV1Pod.Pod;
type Service = coreV1Service.Service;

/** The pod's IPv4 address (podIP first, then podIPs), or undefined: Endpoints here are IPv4 only. */
export function podIPv4(pod: Pod): string | undefined {
  return podIpOfFamily(pod, "IPv4");
}

/** The pod's address of one family (podIP first, then podIPs), or undefined (getEndpointAddresses). */
export function podIpOfFamily(pod: Pod, family: "IPv4" | "IPv6"): string | undefined {
  const candidates = [pod.status?.podIp ?? "", ...(pod.status?.podIps ?? []).map((p) => p.ip)];
  return candidates.find((ip) => (family === "IPv4" ? isIPv4(ip) : isIPv6(ip)));
}

/**
 * The EndpointSlice address types a Service gets (getAddressTypesForService): its ipFamilies;
 * without them the family of its ClusterIP; a headless Service without families gets both.
 */
export function addressTypesForService(svc: Service): Array<"IPv4" | "IPv6"> {
  const types = (svc.spec?.ipFamilies ?? []).filter((f): f is "IPv4" | "IPv6" => f === "IPv4" || f === "IPv6");
  if (types.length > 0) return [...new Set(types)];
  const clusterIp = svc.spec?.clusterIp ?? "";
  if (clusterIp && clusterIp !== "None") return [isIPv6(clusterIp) ? "IPv6" : "IPv4"];
  return ["IPv4", "IPv6"];
}

/**
 * A pod is an endpoint when it has not finished (Succeeded/Failed), has an IP, and is not being
 * deleted unless `includeTerminating` (ShouldPodBeInEndpoints).
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return false;
  if (!pod.status?.podIp && (pod.status?.podIps ?? []).length === 0) return false;
  return includeTerminating || !pod.metadata?.deletionTimestamp;
}

/**
 * The endpoint carries the pod's hostname when the pod names this Service as its subdomain
 * (ShouldSetHostname): that is what gives `<hostname>.<subdomain>.<ns>.svc` its DNS record.
 */
export function endpointHostname(pod: Pod, svc: Service): string | undefined {
  const hostname = pod.spec?.hostname ?? "";
  const matches = hostname !== "" && pod.spec?.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace;
  return matches ? hostname : undefined;
}

/** The endpoint's reference back to its pod (kind, namespace, name, uid; no resourceVersion, so pod writes do not churn). */
export function podReference(pod: Pod): { kind: string; namespace: string; name: string; uid: string; apiVersion: string; resourceVersion: string; fieldPath: string } {
  return { kind: "Pod", namespace: pod.metadata!.namespace, name: pod.metadata!.name, uid: pod.metadata!.uid, apiVersion: "", resourceVersion: "", fieldPath: "" };
}

/**
 * Whether a pod update can change any Service's endpoints (podEndpointsChanged plus labels): the
 * handlers skip the rest, which are most pod updates (status heartbeats, container restarts).
 */
export function podEndpointsChanged(old: Pod, cur: Pod): boolean {
  const key = (p: Pod): string =>
    JSON.stringify([
      p.metadata?.labels ?? {},
      p.metadata?.deletionTimestamp ?? "",
      p.status?.phase ?? "",
      p.status?.podIp ?? "",
      (p.status?.podIps ?? []).map((i) => i.ip),
      isPodReady(p),
      p.spec?.nodeName ?? "",
      p.spec?.hostname ?? "",
      p.spec?.subdomain ?? "",
      (p.spec?.containers ?? []).map((c) => c.ports.map((port) => [port.name, port.containerPort, port.protocol])),
    ]);
  return key(old) !== key(cur);
}
