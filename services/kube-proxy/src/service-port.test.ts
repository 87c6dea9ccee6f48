// The proxy model from Service and EndpointSlice objects: which ports, addresses and endpoints get rules.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { coreV1Service, discoveryV1 } from "@kubeplane/api";
import { servingEndpoints } from "./endpoints.js";
import { proxiedFamilies } from "./ip-families.js";
import { buildServicePorts, type EndpointSlice, type Service } from "./service-port.js";

function service(name: string, spec: coreV1Service.DeepPartial<coreV1Service.ServiceSpec>, status: coreV1Service.DeepPartial<coreV1Service.ServiceStatus> = {}): Service {
  return coreV1Service.Service.fromPartial({ apiVersion: "v1", kind: "Service", metadata: { namespace: "ns", name }, spec, status });
}

function slice(endpoints: discoveryV1.DeepPartial<discoveryV1.Endpoint>[], ports = [{ name: "http", protocol: "TCP", port: 8080 }]): EndpointSlice {
  return discoveryV1.EndpointSlice.fromPartial({ addressType: "IPv4", endpoints, ports });
}

describe("endpoint selection", () => {
  test("only ready endpoints serve; unset conditions count as ready", () => {
    const s = slice([
      { addresses: ["10.0.0.3"], conditions: { ready: true } },
      { addresses: ["10.0.0.1"] },
      { addresses: ["10.0.0.2"], conditions: { ready: false, serving: true, terminating: true } },
      { addresses: ["10.0.0.4"], conditions: { ready: false } },
    ]);
    assert.deepEqual(servingEndpoints([s], "http", "tcp"), [
      { ip: "10.0.0.1", port: 8080 },
      { ip: "10.0.0.3", port: 8080 },
    ]);
  });

  test("with no ready endpoint, serving-and-terminating ones take the traffic", () => {
    const s = slice([
      { addresses: ["10.0.0.2"], conditions: { ready: false, serving: true, terminating: true } },
      { addresses: ["10.0.0.4"], conditions: { ready: false, serving: false, terminating: true } },
    ]);
    assert.deepEqual(servingEndpoints([s], "http", "tcp"), [{ ip: "10.0.0.2", port: 8080 }]);
  });

  test("the slice port must match the service port's name and protocol", () => {
    const s = slice([{ addresses: ["10.0.0.1"] }], [{ name: "metrics", protocol: "TCP", port: 9090 }, { name: "http", protocol: "UDP", port: 8080 }]);
    assert.deepEqual(servingEndpoints([s], "http", "tcp"), []);
    assert.deepEqual(servingEndpoints([s], "metrics", "tcp"), [{ ip: "10.0.0.1", port: 9090 }]);
  });
});

describe("service ports", () => {
  const slicesOf = (): EndpointSlice[] => [slice([{ addresses: ["10.0.0.1"] }])];

  test("NodePort and LoadBalancer services carry their node port and ingress IPs; ClientIP affinity defaults to 3 h", () => {
    const ports = buildServicePorts(
      [
        service("lb", { type: "LoadBalancer", clusterIp: "10.96.0.2", sessionAffinity: "ClientIP", ports: [{ name: "http", protocol: "TCP", port: 80, nodePort: 30001 }] }, { loadBalancer: { ingress: [{ ip: "192.0.2.1" }] } }),
        service("np", { type: "NodePort", clusterIp: "10.96.0.1", ports: [{ name: "http", protocol: "TCP", port: 80, nodePort: 30000 }] }),
      ],
      slicesOf,
    );
    assert.deepEqual(
      ports.map((p) => [p.id, p.nodePort, p.externalIps, p.affinitySeconds, p.endpoints.length]),
      [
        ["ns/lb/tcp/http", 30001, ["192.0.2.1"], 10_800, 1],
        ["ns/np/tcp/http", 30000, [], 0, 1],
      ],
    );
  });

  test("headless and ExternalName services get no rules", () => {
    const ports = buildServicePorts(
      [
        service("headless", { type: "ClusterIP", clusterIp: "None", ports: [{ name: "http", port: 80 }] }),
        service("ext", { type: "ExternalName", externalName: "example.com", ports: [{ name: "http", port: 80 }] }),
      ],
      slicesOf,
    );
    assert.deepEqual(ports, []);
  });

  test("traffic policies: local endpoints by EndpointSlice nodeName, health-check port only for LoadBalancer with Local", () => {
    const s = slice([
      { addresses: ["10.0.0.1"], nodeName: "node-a" },
      { addresses: ["10.0.0.2"], nodeName: "node-b" },
      { addresses: ["10.0.0.3"], nodeName: "node-a", conditions: { ready: false, serving: true, terminating: true } },
    ]);
    const svcs = [
      service("lb", { type: "LoadBalancer", clusterIp: "10.96.0.1", externalTrafficPolicy: "Local", healthCheckNodePort: 32000, internalTrafficPolicy: "Local", ports: [{ name: "http", port: 80, nodePort: 30001 }] }),
      service("cip", { type: "ClusterIP", clusterIp: "10.96.0.2", externalTrafficPolicy: "Local", ports: [{ name: "http", port: 80 }] }),
    ];
    const [cip, lb] = buildServicePorts(svcs, () => [s], "node-a");
    assert.deepEqual(lb!.localEndpoints, [{ ip: "10.0.0.1", port: 8080 }], "the terminating local endpoint is not used while a ready one is");
    assert.deepEqual(lb!.endpoints.map((e) => e.ip), ["10.0.0.1", "10.0.0.2"]);
    assert.deepEqual([lb!.externalLocal, lb!.internalLocal, lb!.healthCheckNodePort], [true, true, 32000]);
    assert.deepEqual([cip!.externalLocal, cip!.healthCheckNodePort], [false, 0], "no external policy without external access");
    const [, onB] = buildServicePorts(svcs, () => [s], "node-c");
    assert.deepEqual(onB!.localEndpoints, []);
    const onlyTerminating = servingEndpoints([slice([{ addresses: ["10.0.0.3"], nodeName: "node-a", conditions: { ready: false, serving: true, terminating: true } }, { addresses: ["10.0.0.2"], nodeName: "node-b" }])], "http", "tcp", "node-a");
    assert.deepEqual(onlyTerminating, [{ ip: "10.0.0.3", port: 8080 }], "local fallback to serving-terminating is decided among local endpoints");
  });
});

describe("dual stack", () => {
  const svc = coreV1Service.Service.fromPartial({
    metadata: { name: "web", namespace: "default" },
    spec: { type: "NodePort", clusterIp: "10.96.0.50", clusterIps: ["10.96.0.50", "fd00:10:96::50"], ipFamilies: ["IPv4", "IPv6"], externalIps: ["192.0.2.1", "2001:db8::1"], ports: [{ name: "http", port: 80, nodePort: 30080, protocol: "TCP" }] },
  });
  const slice = (addressType: string, ips: string[]): EndpointSlice =>
    discoveryV1.EndpointSlice.fromPartial({ addressType, endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })), ports: [{ name: "http", port: 8080, protocol: "TCP" }] });
  const slices = [slice("IPv4", ["10.214.0.2"]), slice("IPv6", ["fd00:10:244::2", "fd00:10:244::3"])];

  test("each family's ports carry that family's ClusterIP, external IPs and endpoints; an IPv4-only Service is absent from IPv6", () => {
    const v4only = coreV1Service.Service.fromPartial({ metadata: { name: "old", namespace: "default" }, spec: { clusterIp: "10.96.0.60", ports: [{ port: 80, protocol: "TCP" }] } });
    const v4 = buildServicePorts([svc, v4only], (_ns, name) => (name === "web" ? slices : []), "", "IPv4");
    assert.deepEqual(v4.map((p) => p.name), ["old", "web"]);
    const p4 = v4[1];
    const v6 = buildServicePorts([svc, v4only], (_ns, name) => (name === "web" ? slices : []), "", "IPv6");
    assert.deepEqual([p4?.clusterIp, p4?.externalIps, p4?.endpoints.map((e) => e.ip)], ["10.96.0.50", ["192.0.2.1"], ["10.214.0.2"]]);
    assert.equal(v6.length, 1);
    assert.deepEqual([v6[0]?.clusterIp, v6[0]?.nodePort, v6[0]?.externalIps, v6[0]?.endpoints.map((e) => e.ip)], ["fd00:10:96::50", 30080, ["2001:db8::1"], ["fd00:10:244::2", "fd00:10:244::3"]]);
  });

  test("kube-proxy programs IPv6 only with a dual-stack --cluster-cidr, each table with its family's CIDRs", () => {
    assert.deepEqual(proxiedFamilies({ clusterCidr: "10.244.0.0/16", nodeportAddresses: [], masqueradeBit: 14 }).map((f) => f.family), ["IPv4"]);
    const dual = proxiedFamilies({ clusterCidr: "10.244.0.0/16,fd00:10:244::/56", nodeportAddresses: ["10.0.0.0/8", "fd00::/8"], masqueradeBit: 14 });
    assert.deepEqual(
      dual.map((f) => [f.family, f.ruleset.family, f.ruleset.clusterCidr, f.ruleset.nodeportAddresses]),
      [
        ["IPv4", "ip", "10.244.0.0/16", ["10.0.0.0/8"]],
        ["IPv6", "ip6", "fd00:10:244::/56", ["fd00::/8"]],
      ],
    );
    const v4only = proxiedFamilies({ clusterCidr: "10.244.0.0/16,fd00:10:244::/56", nodeportAddresses: ["10.0.0.0/8"], masqueradeBit: 14 });
    assert.deepEqual(v4only[1]?.ruleset.nodeportAddresses, ["::/128"], "NodePort CIDRs of IPv4 only: no IPv6 address serves NodePorts");
  });
});
