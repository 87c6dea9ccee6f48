// The cluster DNS of the node e2e tests: the kube-dns Service, backed by the dns server on the node (reachable from pods at the bridge's gateway).
import { coreV1Service, discoveryV1, kindFor } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";

/** Creates kube-system/kube-dns on `dnsIp` with one ready endpoint, the node's bridge gateway `gateway`. */
export async function publishNodeDns(client: ApiClient, dnsIp: string, gateway: string): Promise<void> {
  const ports = [{ name: "dns", port: 53, protocol: "UDP" }, { name: "dns-tcp", port: 53, protocol: "TCP" }];
  await client.create(kindFor("v1", "Service")!, coreV1Service.Service.fromPartial({
    metadata: { name: "kube-dns", namespace: "kube-system" },
    spec: { clusterIp: dnsIp, ports },
  }));
  await client.create(kindFor("discovery.k8s.io/v1", "EndpointSlice")!, discoveryV1.EndpointSlice.fromPartial({
    metadata: { name: "kube-dns-node", namespace: "kube-system", labels: { "kubernetes.io/service-name": "kube-dns" } },
    addressType: "IPv4",
    endpoints: [{ addresses: [gateway], conditions: { ready: true } }],
    ports,
  }));
}
