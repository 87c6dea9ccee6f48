// Kubernetes' defaults for Services, Endpoints and EndpointSlices.
import type { EndpointSlice } from "../gen/kubeplane/discovery/v1/endpoint_slice.js";
import type { Endpoints, Service } from "../gen/kubeplane/core/v1/service.js";

/**
 * SetDefaults_Service. ipFamilyPolicy and ipFamilies are left alone: as in kube-apiserver they
 * depend on the cluster's service CIDRs and are filled by the apiserver's Service allocator.
 */
export function defaultService(svc: Service): void {
  const s = svc.spec;
  if (!s) return;
  if (s.sessionAffinity === "") s.sessionAffinity = "None";
  if (s.type === "") s.type = "ClusterIP";
  for (const port of s.ports) {
    if (port.protocol === "") port.protocol = "TCP";
    if (port.targetPort === "" || port.targetPort === "0") port.targetPort = String(port.port);
  }
  if (s.sessionAffinity === "ClientIP") {
    s.sessionAffinityConfig ??= {};
    s.sessionAffinityConfig.clientIp ??= {};
    s.sessionAffinityConfig.clientIp.timeoutSeconds ??= 10800;
  }
  if ((s.type === "NodePort" || s.type === "LoadBalancer") && s.externalTrafficPolicy === "") s.externalTrafficPolicy = "Cluster";
  if (s.type === "LoadBalancer") s.allocateLoadBalancerNodePorts ??= true;
  if (s.type !== "ExternalName") s.internalTrafficPolicy ??= "Cluster";
}

/** SetDefaults_EndpointPort: protocol TCP. */
export function defaultEndpoints(ep: Endpoints): void {
  for (const subset of ep.subsets) for (const port of subset.ports) if (port.protocol === "") port.protocol = "TCP";
}

/** discovery/v1 SetDefaults_EndpointPort: name "" and protocol TCP. */
export function defaultEndpointSlice(slice: EndpointSlice): void {
  for (const port of slice.ports) {
    port.name ??= "";
    port.protocol ??= "TCP";
  }
}
