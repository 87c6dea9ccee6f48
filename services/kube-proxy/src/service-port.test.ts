// The proxy model from Service and EndpointSlice objects: which ports, addresses and endpoints get rules.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { coreV1Service, discoveryV1 } from "@kubeplane/api";
import { servingEndpoints } from "./endpoints.js";
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
