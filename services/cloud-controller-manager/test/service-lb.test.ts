// Integration test of the service controller on a real apiserver: pool allocation under concurrent creates, exhaustion, release, restart.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { coreV1Service, kindFor, type coreV1Event, type KindInfo } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { LB_CONDITION, serviceKind } from "../src/controllers/service.js";
import { POOL_ANNOTATION } from "../src/provider/bare-metal/load-balancer.js";
import type { CloudControllerManager } from "../src/index.js";
import { metricValue, startCcmCluster, type CcmCluster } from "./harness.js";

type Service = coreV1Service.Service;
const events = kindFor("v1", "Event") as KindInfo<coreV1Event.Event>;
const NS = "lb";
const POOL = Array.from({ length: 16 }, (_, i) => `10.213.100.${i}`);

function lbService(name: string, opts: { loadBalancerIp?: string; pool?: string } = {}): Service {
  return coreV1Service.Service.fromPartial({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: NS, annotations: opts.pool ? { [POOL_ANNOTATION]: opts.pool } : {} },
    spec: { type: "LoadBalancer", selector: { app: name }, ports: [{ port: 80, targetPort: "8080", protocol: "TCP" }], loadBalancerIp: opts.loadBalancerIp ?? "" },
  });
}

async function services(cluster: CcmCluster): Promise<Service[]> {
  return (await cluster.client.list(serviceKind, { namespace: NS })).items as Service[];
}

/** name → assigned address, for Services that have one. */
function assignments(list: readonly Service[]): Map<string, string> {
  return new Map(list.filter((s) => s.status?.loadBalancer?.ingress[0]?.ip).map((s) => [s.metadata!.name, s.status!.loadBalancer!.ingress[0]!.ip]));
}

async function warnings(cluster: CcmCluster, reason = "AllocationFailed"): Promise<coreV1Event.Event[]> {
  const list = (await cluster.client.list(events, { namespace: NS })).items as coreV1Event.Event[];
  return list.filter((e) => e.type === "Warning" && e.reason === reason);
}

describe("service controller with a bare-metal address pool", () => {
  let cluster: CcmCluster;
  let ccm: CloudControllerManager;

  before(async () => {
    cluster = await startCcmCluster({ pools: { default: ["10.213.100.0/28"], pinned: ["10.213.101.7"] } });
    await cluster.createNamespace(NS);
    ccm = await cluster.startCcm({ controllers: ["service"] });
  });

  after(async () => {
    await cluster?.stop();
  });

  it("honours spec.loadBalancerIP when free and refuses it when taken", async () => {
    await cluster.client.create(serviceKind, lbService("pinned", { pool: "pinned", loadBalancerIp: "10.213.101.7" }));
    await waitFor(async () => assignments(await services(cluster)).get("pinned") === "10.213.101.7", { message: "pinned to get 10.213.101.7" });
    await cluster.client.create(serviceKind, lbService("pinned-too", { pool: "pinned", loadBalancerIp: "10.213.101.7" }));
    const ev = await waitFor(async () => (await warnings(cluster)).find((e) => e.involvedObject?.name === "pinned-too"), { message: "a Warning for pinned-too" });
    assert.match(ev.message, /already assigned to Service lb\/pinned/);
    const svc = (await services(cluster)).find((s) => s.metadata?.name === "pinned-too")!;
    assert.equal(svc.status?.loadBalancer?.ingress.length ?? 0, 0);
    assert.equal(svc.status?.conditions.find((c) => c.type === LB_CONDITION)?.reason, "LoadBalancerIPInUse");
    await cluster.client.delete(serviceKind, NS, "pinned-too");
  });

  it("20 concurrent Services on 16 addresses: 16 distinct, 4 pending with Warnings; a release goes to a pending one; a restart changes nothing", async () => {
    const names = Array.from({ length: 20 }, (_, i) => `web-${String(i).padStart(2, "0")}`);
    await Promise.all(names.map((n) => cluster.client.create(serviceKind, lbService(n))));

    const pendingOf = (list: Service[]): string[] =>
      list.filter((s) => s.metadata!.name.startsWith("web-") && s.status?.conditions.find((c) => c.type === LB_CONDITION)?.reason === "PoolExhausted").map((s) => s.metadata!.name);
    const settled = await waitFor(async () => {
      const list = await services(cluster);
      const web = [...assignments(list)].filter(([n]) => n.startsWith("web-"));
      return web.length === 16 && pendingOf(list).length === 4 ? list : undefined;
    }, { timeoutMs: 20_000, message: "16 assigned and 4 pending" });
    const first = assignments(settled);
    first.delete("pinned");
    assert.deepEqual([...new Set(first.values())].sort(), [...POOL].sort(), "16 distinct addresses, exactly the pool");
    const pending = pendingOf(settled);
    await waitFor(async () => (await warnings(cluster)).filter((e) => pending.includes(e.involvedObject?.name ?? "")).length >= 4, {
      message: "a Warning event for each pending Service",
    });
    const exhausted = (await warnings(cluster)).filter((e) => pending.includes(e.involvedObject?.name ?? ""));
    assert.equal(new Set(exhausted.map((e) => e.involvedObject?.name)).size, 4);
    assert.match(exhausted[0]!.message, /no free address in pool default \(16 of 16 in use\)/);
    assert.equal(await metricValue(ccm, "cloudprovider_loadbalancer_pool_addresses_used", { pool: "default" }), 16);
    assert.equal(await metricValue(ccm, "cloudprovider_loadbalancer_pool_addresses_free", { pool: "default" }), 0);

    // Deleting one hands its address to a pending Service.
    const [victim, freed] = [...first][0]!;
    await cluster.client.delete(serviceKind, NS, victim);
    const after = await waitFor(async () => {
      const got = assignments(await services(cluster));
      const taker = pending.find((p) => got.get(p) === freed);
      return taker ? got : undefined;
    }, { timeoutMs: 15_000, message: `a pending Service to get ${freed}` });
    assert.equal(new Set(after.values()).size, after.size, "still no address twice");

    // A type change releases too.
    const changed = [...after].find(([n]) => n.startsWith("web-") && n !== victim)!;
    const svc = (await cluster.client.get(serviceKind, NS, changed[0])) as Service;
    svc.spec!.type = "ClusterIP";
    svc.spec!.ports = svc.spec!.ports.map((p) => ({ ...p, nodePort: 0 }));
    svc.spec!.externalTrafficPolicy = "";
    await cluster.client.update(serviceKind, svc);
    const afterTypeChange = await waitFor(async () => {
      const got = assignments(await services(cluster));
      return !got.has(changed[0]) && [...got.values()].includes(changed[1]) ? got : undefined;
    }, { timeoutMs: 15_000, message: `${changed[0]} to lose its ingress and ${changed[1]} to go to a pending Service` });

    // Restart: a new controller rebuilds allocation from the Services alone and changes nothing.
    await ccm.stop();
    ccm = await cluster.startCcm({ controllers: ["service"] });
    await waitFor(async () => ((await metricValue(ccm, "controller_runtime_reconcile_total", { controller: "service", result: "success" })) ?? 0) >= 19, {
      timeoutMs: 15_000,
      message: "the restarted controller to reconcile every Service",
    });
    await cluster.client.create(serviceKind, lbService("late"));
    await waitFor(async () => (await warnings(cluster)).some((e) => e.involvedObject?.name === "late"), { message: "the new Service to find the pool full" });
    assert.deepEqual(assignments(await services(cluster)), afterTypeChange);
    assert.equal(await metricValue(ccm, "cloudprovider_loadbalancer_pool_addresses_used", { pool: "default" }), 16);
  });
});
