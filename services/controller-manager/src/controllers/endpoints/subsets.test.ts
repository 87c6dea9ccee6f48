// Unit tests of the subsets of core/v1 Endpoints.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { desiredSubsets, subsetsEqual } from "./subsets.js";
import { testPod, testService } from "../util/endpoint/test-objects.js";

const ips = (list: Array<{ ip: string }>): string[] => list.map((a) => a.ip);

describe("desiredSubsets", () => {
  it("puts ready pods in addresses and the rest in notReadyAddresses, with node, hostname and pod reference", () => {
    const svc = testService();
    const subsets = desiredSubsets(svc, [
      testPod("b", { ip: "10.0.0.2", ready: false }),
      testPod("a", { ip: "10.0.0.1", node: "node-7", hostname: "a", subdomain: "web" }),
      testPod("c", { ip: "10.0.0.3", deleting: true }),
      testPod("d", { ip: "" }),
    ]);
    assert.equal(subsets.length, 1);
    assert.deepEqual(ips(subsets[0]!.addresses), ["10.0.0.1"]);
    assert.deepEqual(ips(subsets[0]!.notReadyAddresses), ["10.0.0.2"]);
    assert.deepEqual(subsets[0]!.addresses[0], {
      ip: "10.0.0.1",
      hostname: "a",
      nodeName: "node-7",
      targetRef: { kind: "Pod", namespace: "ns", name: "a", uid: "uid-a", apiVersion: "", resourceVersion: "", fieldPath: "" },
    });
    assert.deepEqual(subsets[0]!.ports, [{ name: "http", port: 8080, protocol: "TCP" }]);
  });

  it("publishNotReadyAddresses lists not-ready and terminating pods as addresses", () => {
    const svc = testService({ publishNotReadyAddresses: true });
    const subsets = desiredSubsets(svc, [testPod("a", { ip: "10.0.0.1", ready: false }), testPod("b", { ip: "10.0.0.2", deleting: true })]);
    assert.deepEqual(ips(subsets[0]!.addresses), ["10.0.0.1", "10.0.0.2"]);
    assert.deepEqual(subsets[0]!.notReadyAddresses, []);
  });

  it("resolves a named port per pod: pods with different numbers or without the name land in different subsets", () => {
    const svc = testService({
      ports: [
        { name: "http", port: 80, targetPort: "http", protocol: "TCP", nodePort: 0 },
        { name: "metrics", port: 9090, targetPort: "9090", protocol: "TCP", nodePort: 0 },
      ],
    });
    const subsets = desiredSubsets(svc, [
      testPod("a", { ip: "10.0.0.1", ports: [{ name: "http", containerPort: 8080 }] }),
      testPod("b", { ip: "10.0.0.2", ports: [{ name: "http", containerPort: 8080 }] }),
      testPod("c", { ip: "10.0.0.3", ports: [{ name: "http", containerPort: 8081 }] }),
      testPod("d", { ip: "10.0.0.4" }),
    ]);
    const summary = subsets.map((s) => ({ ips: ips(s.addresses), ports: s.ports.map((p) => `${p.name}:${p.port}`) }));
    assert.deepEqual(summary, [
      { ips: ["10.0.0.1", "10.0.0.2"], ports: ["http:8080"] },
      { ips: ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"], ports: ["metrics:9090"] },
      { ips: ["10.0.0.3"], ports: ["http:8081"] },
    ]);
  });

  it("a pod resolving no port is left out, except by a headless service without ports", () => {
    const named = testService({ ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP", nodePort: 0 }] });
    assert.deepEqual(desiredSubsets(named, [testPod("a")]), []);
    const headless = testService({ clusterIp: "None", ports: [] });
    const subsets = desiredSubsets(headless, [testPod("a")]);
    assert.deepEqual(ips(subsets[0]!.addresses), ["10.0.0.1"]);
    assert.deepEqual(subsets[0]!.ports, []);
  });

  it("is the same whatever the pods' order, and equal to its stored form", () => {
    const svc = testService();
    const pods = [testPod("a", { ip: "10.0.0.1" }), testPod("b", { ip: "10.0.0.2", ready: false }), testPod("c", { ip: "10.0.0.3" })];
    const one = desiredSubsets(svc, pods);
    const other = desiredSubsets(svc, [...pods].reverse());
    assert.equal(subsetsEqual(one, other), true);
    const stored = one.map((s) => ({ ...s, addresses: s.addresses.map((a) => ({ ...a, nodeName: a.nodeName ?? "" })) }));
    assert.equal(subsetsEqual(one, stored), true);
    assert.equal(subsetsEqual(one, desiredSubsets(svc, pods.slice(1))), false);
  });
});
