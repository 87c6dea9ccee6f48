// kube-proxy end to end: a real control plane, a simulated node with three pods in network namespaces, real nft.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { coreV1Service, discoveryV1, kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { clientTls, nodeEntryArgs, serviceEntry, startControlPlane, startServiceProcess, waitFor, type ControlPlane, type ServiceProcess } from "@kubeplane/testing";
import { nsExec, nsRun } from "./netns.js";
import { createTestNode, podPort, type TestNode } from "./topology.js";

type Service = coreV1Service.Service;
type EndpointSlice = discoveryV1.EndpointSlice;
const services = kindFor("v1", "Service") as KindInfo<Service>;
const slices = kindFor("discovery.k8s.io/v1", "EndpointSlice") as KindInfo<EndpointSlice>;
const serviceCidr = "10.96.0.0/12";
const execFileAsync = promisify(execFile);

/** One HTTP GET from inside `netns`: the body, or the error busybox wget printed (a hang is killed after 6 s; a refusal takes milliseconds). */
async function get(netns: string, url: string): Promise<{ ok: boolean; body: string; ms: number }> {
  const started = Date.now();
  const res = await nsRun(netns, ["busybox", "wget", "-qO-", url], { timeoutMs: 6000 });
  return { ok: res.code === 0, body: res.code === 0 ? res.stdout.trim() : res.stderr.trim(), ms: Date.now() - started };
}

/** Which pods answered `count` requests, by name, with how many answers each. */
async function answers(netns: string, url: string, count: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const res = await get(netns, url);
    assert.ok(res.ok, `request ${i} to ${url} from ${netns} failed: ${res.body}`);
    seen.set(res.body, (seen.get(res.body) ?? 0) + 1);
  }
  return seen;
}

describe("kube-proxy on nftables", () => {
  let cp: ControlPlane;
  let client: ApiClient;
  let node: TestNode;
  let proxy: ServiceProcess | undefined;
  let clusterIp = "";
  let nodePort = 0;

  const startProxy = async (): Promise<ServiceProcess> =>
    startServiceProcess({
      entry: serviceEntry("kube-proxy"),
      flags: { apiserver: cp.apiserver.grpcAddress, "nats-url": cp.nats.url, netns: node.netns, "min-sync-period": "20ms" },
    });
  const table = (): Promise<string> => nsExec(node.netns, ["nft", "list", "table", "ip", "kube-proxy"]);

  before(async () => {
    cp = await startControlPlane();
    client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
    node = await createTestNode(3, serviceCidr);
    const svc = (await client.create(
      services,
      coreV1Service.Service.fromPartial({
        apiVersion: "v1",
        kind: "Service",
        metadata: { namespace: "default", name: "web" },
        spec: { type: "NodePort", selector: { app: "web" }, ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: String(podPort) }] },
      }),
    )) as Service;
    clusterIp = svc.spec!.clusterIp;
    nodePort = svc.spec!.ports[0]!.nodePort;
    await client.create(
      slices,
      discoveryV1.EndpointSlice.fromPartial({
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { namespace: "default", name: "web-1", labels: { "kubernetes.io/service-name": "web" } },
        addressType: "IPv4",
        endpoints: node.pods.map((p) => ({ addresses: [p.ip], conditions: { ready: true } })),
        ports: [{ name: "http", protocol: "TCP", port: podPort }],
      }),
    );
    proxy = await startProxy();
  });

  after(async () => {
    await proxy?.kill();
    client?.close();
    await node?.destroy();
    await cp?.stop();
  });

  test("the apiserver gave the Service a ClusterIP in its range and a NodePort", () => {
    assert.match(clusterIp, /^10\.(9[6-9]|10[0-9]|11[01])\./);
    assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
  });

  test("from the node, 60 requests to ClusterIP:80 reach all three pods", async () => {
    const seen = await answers(node.netns, `http://${clusterIp}:80/`, 60);
    assert.deepEqual([...seen.keys()].sort(), ["pod-0", "pod-1", "pod-2"]);
  });

  test("a pod reaches the ClusterIP, its own endpoint included (hairpin)", async () => {
    const seen = await answers(node.pods[0]!.netns, `http://${clusterIp}:80/`, 30);
    assert.ok(seen.has("pod-0"), `hairpin never answered: ${JSON.stringify([...seen])}`);
    assert.ok(seen.has("pod-1") || seen.has("pod-2"), "other pods answered too");
  });

  test("a port the Service does not have is refused on its ClusterIP, from a pod", async () => {
    const res = await get(node.pods[1]!.netns, `http://${clusterIp}:81/`);
    assert.ok(!res.ok && /refused/i.test(res.body) && res.ms < 2000, `${res.body} after ${res.ms} ms`);
  });

  test("the NodePort answers on the node's address, from a pod and from the node itself", async () => {
    const fromPod = await get(node.pods[1]!.netns, `http://${node.ip}:${nodePort}/`);
    assert.ok(fromPod.ok && /^pod-\d$/.test(fromPod.body), fromPod.body);
    const fromNode = await get(node.netns, `http://${node.ip}:${nodePort}/`);
    assert.ok(fromNode.ok && /^pod-\d$/.test(fromNode.body), fromNode.body);
  });

  test("ClientIP session affinity sends one client to one pod", async () => {
    const svc = (await client.get(services, "default", "web")) as Service;
    svc.spec!.sessionAffinity = "ClientIP";
    svc.spec!.sessionAffinityConfig = { clientIp: { timeoutSeconds: 60 } };
    await client.update(services, svc);
    await waitFor(async () => (await table()).includes("flags dynamic,timeout"), { message: "affinity sets" });
    const seen = await answers(node.netns, `http://${clusterIp}:80/`, 20);
    assert.equal(seen.size, 1, JSON.stringify([...seen]));
  });

  test("a restart keeps serving, rebuilds from the apiserver and removes stale rules", async () => {
    await proxy!.kill("SIGTERM");
    proxy = undefined;
    assert.ok((await get(node.netns, `http://${clusterIp}:80/`)).ok, "rules stay in place after SIGTERM");
    await nsExec(node.netns, ["nft", "-f", "-"], {
      input: "add chain ip kube-proxy service-STALE000-gone/svc/tcp/http\nadd element ip kube-proxy service-ips { 10.96.99.99 . tcp . 80 : goto service-STALE000-gone/svc/tcp/http }\n",
    });
    assert.ok((await table()).includes("STALE000"));
    proxy = await startProxy();
    const text = await table();
    assert.ok(!text.includes("STALE000") && !text.includes("10.96.99.99"), text);
    assert.ok((await get(node.netns, `http://${clusterIp}:80/`)).ok);
  });

  test("with no endpoints left, the ClusterIP refuses connections at once instead of hanging", async () => {
    const slice = (await client.get(slices, "default", "web-1")) as EndpointSlice;
    slice.endpoints = [];
    await client.update(slices, slice);
    const refused = await waitFor(
      async () => {
        const res = await get(node.netns, `http://${clusterIp}:80/`);
        return !res.ok && /refused/i.test(res.body) ? res : undefined;
      },
      { message: "ClusterIP refusing connections" },
    );
    assert.ok(refused.ms < 2000, `refusal took ${refused.ms} ms`);
    const fromPod = await get(node.pods[2]!.netns, `http://${clusterIp}:80/`);
    assert.match(fromPod.body, /refused/i, "forwarded traffic is rejected too");
    // The metrics are recorded just after nft returns: poll rather than race the sync's tail.
    const metrics = await waitFor(async () => {
      const text = await proxy!.metrics();
      return /kubeproxy_sync_partial_proxy_rules_duration_seconds_count [1-9]/.test(text) ? text : undefined;
    }, { message: "an incremental sync in the metrics" });
    assert.match(metrics, /kubeproxy_sync_proxy_rules_last_timestamp_seconds \d/);
    assert.match(metrics, /kubeproxy_sync_proxy_rules_nftables_sync_failures_total 0/);
  });

  test("deleting the Service removes its rules", async () => {
    assert.ok((await table()).includes(clusterIp));
    await client.delete(services, "default", "web");
    await waitFor(async () => !(await table()).includes(clusterIp), { message: "the Service's rules to go" });
    const text = await table();
    assert.ok(!text.includes("default/web/") && !text.includes(`. ${nodePort} :`), text);
    assert.ok(text.includes("chain nat-prerouting"), "the table itself stays");
  });

  test("--cleanup removes kube-proxy's table and exits", async () => {
    await proxy!.kill("SIGTERM");
    proxy = undefined;
    await execFileAsync(process.execPath, [...nodeEntryArgs(serviceEntry("kube-proxy")), "--cleanup", `--netns=${node.netns}`], { timeout: 15_000 });
    const listed = await nsRun(node.netns, ["nft", "list", "table", "ip", "kube-proxy"]);
    assert.notEqual(listed.code, 0, listed.stdout);
    assert.equal(await nsExec(node.netns, ["nft", "list", "ruleset"]), "");
  });
});
