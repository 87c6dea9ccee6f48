// Unit tests of pool allocation: lowest free address, requested addresses, exhaustion, restore from Services' status.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coreV1Service } from "@kubeplane/api";
import { LoadBalancerUnavailableError } from "../interface.js";
import { parseAddressRange, type AddressRange } from "./config.js";
import { POOL_ANNOTATION, PoolLoadBalancer } from "./load-balancer.js";

const range = (text: string): AddressRange => parseAddressRange(text) as AddressRange;

function svc(name: string, opts: { ip?: string; status?: string; created?: string; pool?: string; type?: string } = {}): coreV1Service.Service {
  return coreV1Service.Service.fromPartial({
    metadata: { name, namespace: "ns", creationTimestamp: opts.created ?? "2026-01-01T00:00:00Z", annotations: opts.pool ? { [POOL_ANNOTATION]: opts.pool } : {} },
    spec: { type: opts.type ?? "LoadBalancer", loadBalancerIp: opts.ip ?? "" },
    status: { loadBalancer: { ingress: opts.status ? [{ ip: opts.status }] : [] } },
  });
}

const ipOf = async (lb: PoolLoadBalancer, s: coreV1Service.Service): Promise<string> => (await lb.ensureLoadBalancer(s))[0]!.ip;

describe("PoolLoadBalancer", () => {
  it("hands out the lowest free address, keeps it per Service, and reuses a released one", async () => {
    const lb = new PoolLoadBalancer([{ name: "p", ranges: [range("10.0.0.0/31"), range("10.0.1.5")] }]);
    assert.equal(await ipOf(lb, svc("a")), "10.0.0.0");
    assert.equal(await ipOf(lb, svc("b")), "10.0.0.1");
    assert.equal(await ipOf(lb, svc("a")), "10.0.0.0", "the same Service keeps its address");
    assert.equal(await ipOf(lb, svc("c")), "10.0.1.5");
    await assert.rejects(lb.ensureLoadBalancer(svc("d")), (err: unknown) => err instanceof LoadBalancerUnavailableError && err.code === "PoolExhausted" && /p \(3 of 3 in use\)/.test(err.message));
    assert.deepEqual(lb.usage(), [{ pool: "p", used: 3, free: 0 }]);
    assert.equal(await lb.ensureLoadBalancerDeleted("ns/b"), true);
    assert.equal(await lb.ensureLoadBalancerDeleted("ns/b"), false);
    assert.equal(await ipOf(lb, svc("d")), "10.0.0.1");
  });

  it("honours spec.loadBalancerIP when free and in a pool, and refuses it otherwise", async () => {
    const lb = new PoolLoadBalancer([{ name: "p", ranges: [range("10.0.0.0/29")] }]);
    assert.equal(await ipOf(lb, svc("a", { ip: "10.0.0.5" })), "10.0.0.5");
    await assert.rejects(lb.ensureLoadBalancer(svc("b", { ip: "10.0.0.5" })), (e: unknown) => (e as LoadBalancerUnavailableError).code === "LoadBalancerIPInUse");
    await assert.rejects(lb.ensureLoadBalancer(svc("b", { ip: "10.9.9.9" })), (e: unknown) => (e as LoadBalancerUnavailableError).code === "LoadBalancerIPNotInPool");
    // Changing the requested address moves the Service and frees the old one.
    assert.equal(await ipOf(lb, svc("a", { ip: "10.0.0.6" })), "10.0.0.6");
    assert.equal(await ipOf(lb, svc("b", { ip: "10.0.0.5" })), "10.0.0.5");
  });

  it("picks from the annotated pool only", async () => {
    const lb = new PoolLoadBalancer([{ name: "a", ranges: [range("10.0.0.1")] }, { name: "b", ranges: [range("10.0.0.2")] }]);
    assert.equal(await ipOf(lb, svc("x", { pool: "b" })), "10.0.0.2");
    await assert.rejects(lb.ensureLoadBalancer(svc("y", { pool: "b" })), (e: unknown) => (e as LoadBalancerUnavailableError).code === "PoolExhausted");
    await assert.rejects(lb.ensureLoadBalancer(svc("y", { pool: "nope" })), (e: unknown) => (e as LoadBalancerUnavailableError).code === "UnknownPool");
  });

  it("restores assignments from status; of two Services claiming one address the older keeps it", async () => {
    const lb = new PoolLoadBalancer([{ name: "p", ranges: [range("10.0.0.0/30")] }]);
    lb.restore([
      svc("young", { status: "10.0.0.2", created: "2026-02-01T00:00:00Z" }),
      svc("old", { status: "10.0.0.2", created: "2026-01-01T00:00:00Z" }),
      svc("kept", { status: "10.0.0.3" }),
      svc("outside", { status: "192.0.2.1" }),
      svc("clusterip", { status: "10.0.0.0", type: "ClusterIP" }),
    ]);
    assert.deepEqual(lb.usage(), [{ pool: "p", used: 2, free: 2 }]);
    assert.equal(await ipOf(lb, svc("old")), "10.0.0.2");
    assert.equal(await ipOf(lb, svc("kept")), "10.0.0.3");
    assert.equal(await ipOf(lb, svc("young")), "10.0.0.0", "the loser gets a new address");
  });
});
