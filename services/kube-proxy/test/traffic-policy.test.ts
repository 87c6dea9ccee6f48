// Traffic policies end to end: two simulated nodes (network namespaces), each with its own kube-proxy,
// one pod on node A, and a client namespace wired to both nodes. externalTrafficPolicy Local keeps the
// client's address and answers only where an endpoint runs; the health-check node port says which
// node that is; internalTrafficPolicy Local keeps ClusterIP traffic on the node.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { coreV1Service, discoveryV1, kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { clientTls, serviceEntry, startControlPlane, startServiceProcess, waitFor, type ControlPlane, type ServiceProcess } from "@kubeplane/testing";
import { createNetns, deleteNetns, nsExec, nsRun } from "./netns.js";
import { createTestNode, podPort, type TestNode } from "./topology.js";

type Service = coreV1Service.Service;
const services = kindFor("v1", "Service") as KindInfo<Service>;
const slices = kindFor("discovery.k8s.io/v1", "EndpointSlice") as KindInfo<discoveryV1.EndpointSlice>;
const serviceCidr = "10.96.0.0/12";

/** One GET from inside `netns`, killed after 1 s (a dropped connection hangs; this busybox's `wget -T` crashes). */
async function get(netns: string, url: string): Promise<{ ok: boolean; body: string }> {
  const res = await nsRun(netns, ["busybox", "wget", "-qO-", url], { timeoutMs: 1000 });
  // busybox httpd reports IPv4 clients as IPv4-mapped IPv6 ("[::ffff:10.215.1.2]").
  return { ok: res.code === 0, body: res.code === 0 ? res.stdout.trim().replace(/^\[::ffff:(.*)\]$/, "$1") : res.stderr.trim() };
}

async function health(address: string, port: number): Promise<{ status: number; body: { localEndpoints?: number } } | undefined> {
  try {
    const res = await fetch(`http://${address}:${port}/`);
    return { status: res.status, body: (await res.json()) as { localEndpoints?: number } };
  } catch {
    return undefined;
  }
}

describe("kube-proxy traffic policies", () => {
  let cp: ControlPlane;
  let client: ApiClient;
  let nodeA: TestNode;
  let nodeB: TestNode;
  let clientNs = "";
  const proxies: ServiceProcess[] = [];
  let nodePort = 0;
  let healthPort = 0;
  let clusterIp = "";
  // The client reaches node A at 10.215.1.1 (from 10.215.1.2) and node B at 10.215.2.1 (from 10.215.2.2).
  const nodeAAddr = "10.215.1.1";
  const nodeBAddr = "10.215.2.1";
  const table = (netns: string): Promise<string> => nsExec(netns, ["nft", "list", "table", "ip", "kube-proxy"]);

  const updateService = async (change: (spec: coreV1Service.ServiceSpec) => void): Promise<void> => {
    const svc = (await client.get(services, "default", "lb")) as Service;
    change(svc.spec!);
    await client.update(services, svc);
  };

  before(async () => {
    cp = await startControlPlane();
    client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
    [nodeA, nodeB] = await Promise.all([createTestNode(1, serviceCidr), createTestNode(0, serviceCidr)]);
    clientNs = await createNetns("client");
    for (const [node, n] of [[nodeA, 1], [nodeB, 2]] as const) {
      await nsExec(node.netns, ["ip", "link", "add", "kpcl0", "type", "veth", "peer", "name", `eth${n}`, "netns", clientNs]);
      await nsExec(node.netns, ["ip", "addr", "add", `10.215.${n}.1/24`, "dev", "kpcl0"]);
      await nsExec(node.netns, ["ip", "link", "set", "kpcl0", "up"]);
      await nsExec(clientNs, ["ip", "addr", "add", `10.215.${n}.2/24`, "dev", `eth${n}`]);
      await nsExec(clientNs, ["ip", "link", "set", `eth${n}`, "up"]);
    }
    const svc = (await client.create(
      services,
      coreV1Service.Service.fromPartial({
        apiVersion: "v1",
        kind: "Service",
        metadata: { namespace: "default", name: "lb" },
        spec: { type: "LoadBalancer", externalTrafficPolicy: "Local", ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: String(podPort) }] },
      }),
    )) as Service;
    nodePort = svc.spec!.ports[0]!.nodePort;
    healthPort = svc.spec!.healthCheckNodePort;
    clusterIp = svc.spec!.clusterIp;
    await client.create(
      slices,
      discoveryV1.EndpointSlice.fromPartial({
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { namespace: "default", name: "lb-1", labels: { "kubernetes.io/service-name": "lb" } },
        addressType: "IPv4",
        endpoints: [{ addresses: [nodeA.pods[0]!.ip], nodeName: "node-a", conditions: { ready: true } }],
        ports: [{ name: "http", protocol: "TCP", port: podPort }],
      }),
    );
    // Both proxies live in this namespace: their health-check servers bind distinct loopback addresses.
    const start = (node: TestNode, name: string, address: string): Promise<ServiceProcess> =>
      startServiceProcess({
        entry: serviceEntry("kube-proxy"),
        flags: { apiserver: cp.apiserver.grpcAddress, "nats-url": cp.nats.url, netns: node.netns, "min-sync-period": "20ms", "hostname-override": name, "health-check-bind-address": address },
      });
    proxies.push(...(await Promise.all([start(nodeA, "node-a", "127.0.0.1"), start(nodeB, "node-b", "127.0.0.2")])));
  });

  after(async () => {
    await Promise.all(proxies.map((p) => p.kill()));
    client?.close();
    if (clientNs) await deleteNetns(clientNs);
    await nodeA?.destroy();
    await nodeB?.destroy();
    await cp?.stop();
  });

  test("the apiserver allocated a health-check node port", () => {
    assert.ok(healthPort >= 30000 && healthPort <= 32767 && healthPort !== nodePort, String(healthPort));
  });

  test("the NodePort answers on the node with the endpoint, and the pod sees the client's own address", async () => {
    const res = await get(clientNs, `http://${nodeAAddr}:${nodePort}/cgi-bin/ip`);
    assert.deepEqual(res, { ok: true, body: "10.215.1.2" });
  });

  test("the node without a local endpoint drops its NodePort", async () => {
    assert.match(await table(nodeB.netns), new RegExp(`no-endpoint-nodeports \\{[^}]*tcp \\. ${nodePort} : drop`));
    const res = await get(clientNs, `http://${nodeBAddr}:${nodePort}/`);
    assert.equal(res.ok, false, res.body);
  });

  test("the health-check node port: 200 with the local endpoint count on node A, 503 on node B", async () => {
    const a = await waitFor(() => health("127.0.0.1", healthPort), { message: "node A health check" });
    assert.deepEqual([a.status, a.body.localEndpoints], [200, 1]);
    const b = await waitFor(() => health("127.0.0.2", healthPort), { message: "node B health check" });
    assert.deepEqual([b.status, b.body.localEndpoints], [503, 0]);
  });

  test("externalTrafficPolicy Cluster masquerades: the pod sees node A's address, not the client's", async () => {
    await updateService((spec) => (spec.externalTrafficPolicy = "Cluster"));
    const res = await waitFor(
      async () => {
        const r = await get(clientNs, `http://${nodeAAddr}:${nodePort}/cgi-bin/ip`);
        return r.ok && r.body !== "10.215.1.2" ? r : undefined;
      },
      { message: "SNAT-ed answer" },
    );
    assert.equal(res.body, nodeA.ip, "masqueraded to the address node A routes to the pod from");
    // The apiserver releases the health-check port with the Local policy; kube-proxy closes it.
    await waitFor(async () => !(await health("127.0.0.1", healthPort)), { message: "health-check port closed" });
  });

  test("internalTrafficPolicy Local: the ClusterIP serves on node A and is dropped on node B", async () => {
    assert.match(await table(nodeB.netns), new RegExp(`service-ips \\{[^}]*${clusterIp.replace(/\./g, "\\.")} \\. tcp \\. 80 : goto service-`));
    await updateService((spec) => (spec.internalTrafficPolicy = "Local"));
    await waitFor(async () => new RegExp(`no-endpoint-services \\{[^}]*${clusterIp.replace(/\./g, "\\.")} \\. tcp \\. 80 : drop`).test(await table(nodeB.netns)), {
      message: "node B drops the ClusterIP",
    });
    const res = await get(nodeA.netns, `http://${clusterIp}:80/`);
    assert.deepEqual(res, { ok: true, body: "pod-0" });
  });
});
